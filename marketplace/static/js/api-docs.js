// Starts Swagger UI on the platform's own OpenAPI document. validatorUrl null: no calls out.
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: el.dataset.specUrl, dom_id: "#swagger-ui", validatorUrl: null });
});
