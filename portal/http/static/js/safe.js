// A Safe's signing page: an owner signs the SafeMessage with an injected wallet (EIP-6963), and the page's own
// form sends the signature, exactly as a pasted one. Without JS, the paste form does the same.
const section = document.querySelector("[data-module=safe-sign]");
const typedData = document.getElementById("safe-typed-data");
const form = document.getElementById("owner-form");

if (section && typedData && form) {
  const list = section.querySelector("[data-role=wallets]");
  const status = section.querySelector("[data-role=status]");
  const typed = typedData.textContent;
  const seen = new Set();

  const sign = async (provider, button) => {
    button.disabled = true;
    status.textContent = "Check your wallet: it shows the SafeMessage to approve.";
    try {
      const [account] = await provider.request({ method: "eth_requestAccounts" });
      const signature = await provider.request({ method: "eth_signTypedData_v4", params: [account, typed] });
      form.querySelector("[name=signature]").value = signature;
      status.textContent = "Signed. Sending your signature…";
      form.submit();
    } catch (error) {
      status.textContent = `Your wallet did not sign (${error.message || error}). You can try again, or paste a signature below.`;
      button.disabled = false;
    }
  };

  const offer = (name, provider) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = `Sign as an owner with ${name}`;
    button.addEventListener("click", () => sign(provider, button));
    list.append(button);
    section.hidden = false;
  };

  window.addEventListener("eip6963:announceProvider", (event) => {
    const { info, provider } = event.detail;
    if (seen.has(info.uuid)) return;
    seen.add(info.uuid);
    offer(info.name, provider);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  setTimeout(() => {
    if (seen.size === 0 && window.ethereum) offer("your browser wallet", window.ethereum);
  }, 400);
}
