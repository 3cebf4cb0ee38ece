// Starts the vendored Swagger UI on /schema (kept out of the HTML so the CSP needs no inline script).
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
