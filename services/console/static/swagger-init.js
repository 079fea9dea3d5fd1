// Renders the workflow's OpenAPI document with the Swagger UI bundled in the fastapi-offline package.
(function () {
  "use strict";
  var el = document.getElementById("swagger");
  if (!el || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({ url: el.dataset.url, domNode: el, deepLinking: false, supportedSubmitMethods: [] });
})();
