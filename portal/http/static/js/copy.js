// Adds "Copy" (and "Download", when the markup names a file) buttons under a block of exact text.
function button(text) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "button button-secondary";
  element.textContent = text;
  return element;
}

export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function bindCopy(actions) {
  const target = document.getElementById(actions.dataset.copyTarget);
  const label = (target.getAttribute("aria-label") || "text").replace(/^The /, "the ").replace(/^Your /, "your ");
  const status = document.createElement("span");
  status.setAttribute("role", "status");
  status.className = "status-message";
  const copy = button(`Copy ${label}`);
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(target.textContent);
      status.textContent = "Copied.";
    } catch {
      window.getSelection().selectAllChildren(target);
      status.textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
    }
  });
  actions.append(copy);
  if (actions.dataset.downloadName) {
    const save = button(`Download ${label}`);
    save.addEventListener("click", () => {
      download(actions.dataset.downloadName, actions.dataset.downloadType || "text/plain", target.textContent);
      status.textContent = `Saved as ${actions.dataset.downloadName}.`;
    });
    actions.append(save);
  }
  actions.append(status);
}
