// The request page: a token in the URL fragment (#token=…, never sent to a server) is moved into the
// form, removed from the address bar, and posted, so a bookmarked link opens the request directly.
const form = document.querySelector("[data-module=token-form]");
const match = location.hash.match(/^#token=([A-Za-z0-9_-]{20,100})$/);
if (form && match) {
  history.replaceState(null, "", location.pathname);
  form.elements.status_token.value = match[1];
  form.requestSubmit();
}
