// The one module esbuild bundles for the WalletConnect page: the Sign client and a QR encoder.
// Everything else on that page is the portal's own same-origin code (static/js/walletconnect.js).
export { SignClient } from "@walletconnect/sign-client";
export { toString as qrSvg } from "qrcode";
