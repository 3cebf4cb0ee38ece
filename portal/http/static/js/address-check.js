// Checks a destination address as it is typed (the server checks it again, fully, with the checksum).
const EVM = /^0x[0-9a-fA-F]{40}$/;
const SOLANA = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

export function bindAddressCheck(output) {
  const input = document.getElementById(output.dataset.for);
  const chain = input.form.querySelector("input[name=chain]")?.value;
  const check = () => {
    const value = input.value.trim();
    if (!value) { output.textContent = ""; return; }
    const looksEvm = EVM.test(value);
    const looksSolana = SOLANA.test(value);
    if (chain === "evm" && looksSolana) output.textContent = "This looks like a Solana address, but you chose Ethereum.";
    else if (chain === "solana" && looksEvm) output.textContent = "This looks like an Ethereum address, but you chose Solana.";
    else if ((chain === "evm" && looksEvm) || (chain === "solana" && looksSolana)) output.textContent = "This looks like a valid address. Check it against your wallet.";
    else output.textContent = "This is not a complete address yet.";
  };
  input.addEventListener("input", check);
  check();
}
