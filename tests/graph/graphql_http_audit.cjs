// The graphql-http server audits (npm graphql-http) against a running gateway.
// Usage: NODE_PATH=<dir>/node_modules node graphql_http_audit.cjs <url>
// Prints one JSON line per audit: {id, name, status, reason}.
const { serverAudits } = require("graphql-http");

(async () => {
  const url = process.argv[2];
  for (const audit of serverAudits({ url, fetchFn: fetch })) {
    const result = await audit.fn();
    console.log(
      JSON.stringify({ id: audit.id, name: audit.name, status: result.status, reason: result.reason }),
    );
  }
})();
