// Jest (on Node < 24.9) cannot require the ESM-only @apidevtools/json-schema-ref-parser that
// openapi-backend requires. Stagegate runs openapi-backend in quick mode, which only "parses" an
// already-parsed object and dereferences synchronously without it; anything else fails loudly.
const unavailable = async () => {
  throw new Error('json-schema-ref-parser is not available under jest; use openapi-backend with quick: true');
};
const api = { parse: async (doc) => doc, dereference: unavailable, resolve: unavailable, bundle: unavailable };
module.exports = { __esModule: true, default: api, ...api };
