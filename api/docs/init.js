// The page of GET /api-docs: Swagger UI (vendored by scripts/update-api-docs)
// on the API's own document. A file rather than an inline script, so that
// the page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
// The document's server is "/" (its paths carry their full prefix), so
// "try it out" and the OAuth2 token request (/oauth/token) go to this
// server.
window.ui = SwaggerUIBundle({
  url: "/plugins/playbooks/api/v0/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // No call to the public validator (validator.swagger.io): nothing leaves
  // the server's origin.
  validatorUrl: null,
  // A token or client secret typed in Authorize is kept for this tab
  // only, never stored.
  persistAuthorization: false,
  displayOperationId: true,
  displayRequestDuration: true,
  filter: true,
  showExtensions: true,
  // Each request tried is also shown as curl (bash, PowerShell, cmd).
  requestSnippetsEnabled: true,
  // The OAuth2 client credentials flow needs no redirect page: Swagger UI
  // posts the client's id and secret to the tokenUrl itself.
});
