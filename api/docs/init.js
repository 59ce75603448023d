// The page of GET /api-docs: Swagger UI (vendored by scripts/update-api-docs)
// on the API's own document. A file rather than an inline script, so that
// the page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
"use strict";

// The served document is the v0 contract unchanged: its server is the
// Mattermost plugin's (http://localhost:8065/plugins/playbooks/api/v0) and
// its paths already start with the base path. "Try it out" must call this
// server, so the page reads the document itself and names this origin as
// its only server.
fetch("/plugins/playbooks/api/v0/openapi.json", { headers: { Accept: "application/json" } })
  .then(function (r) {
    if (!r.ok) throw new Error("GET /plugins/playbooks/api/v0/openapi.json: " + r.status);
    return r.json();
  })
  .then(function (doc) {
    doc.servers = [{ url: location.origin, description: "this server" }];
    window.ui = SwaggerUIBundle({
      spec: doc,
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      // No call to the public validator (validator.swagger.io): nothing
      // leaves the server's origin.
      validatorUrl: null,
      // The token typed in Authorize is kept for this tab only, never
      // stored.
      persistAuthorization: false,
      displayOperationId: true,
      displayRequestDuration: true,
      filter: true,
      showExtensions: true,
      // Each request tried is also shown as curl (bash, PowerShell, cmd).
      requestSnippetsEnabled: true,
      // The OAuth2 client credentials flow needs no redirect page: Swagger
      // UI posts the client's id and secret to the document's tokenUrl
      // (/oauth/token, this origin) itself.
    });
  })
  .catch(function (err) {
    var p = document.createElement("p");
    p.id = "load-error";
    p.textContent = "The API document could not be loaded: " + err.message;
    document.getElementById("swagger-ui").appendChild(p);
  });
