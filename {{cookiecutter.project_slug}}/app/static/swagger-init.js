// Start Swagger UI on the document the page names. A file rather than an inline script, so that
// the page's Content-Security-Policy can allow scripts from this server only.
window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No call to the public validator service: the document is checked by the test suite.
    validatorUrl: null,
  });
});
