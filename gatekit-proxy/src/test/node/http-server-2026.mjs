// A 2026-07-28 MCP server over stateless Streamable HTTP, built on the official TypeScript SDK v2
// (createMcpHandler on node:http), for the HttpTransport 2026 tests. Prints {"port": N} once listening
// on 127.0.0.1; exits when its stdin ends. Tools: echo, confirm (an input_required elicitation),
// headers and 'héaders ünïcode' (the MCP headers of their own POST), slow (sends progress, then waits
// until cancelled; `cancelled` counts those and the notifications/cancelled POSTed), secret (answers
// with a credential), and the resource test://greeting. It refuses 2025-era traffic (modern-only)
// unless started with --legacy, which serves it statelessly.
import http from 'node:http';
import { McpServer, createMcpHandler, inputRequired, acceptedContent } from '@modelcontextprotocol/server';
import * as z from 'zod';

let cancelled = 0; // slow calls ended by their client going away
let notices = 0; // notifications/cancelled POSTed (a 2026-07-28 client sends none over HTTP)
const handler = createMcpHandler(({ requestInfo }) => {
  const server = new McpServer({ name: 'gatekit-http-test-2026', version: '1.0.0' });
  const headers = {};
  for (const name of ['mcp-protocol-version', 'mcp-method', 'mcp-name', 'mcp-session-id']) {
    headers[name] = requestInfo?.headers.get(name) ?? null;
  }

  server.registerTool('echo', { description: 'Echoes the message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: 'Echo: ' + message }] }));

  server.registerTool('confirm', { description: 'Asks the user to confirm, then answers', inputSchema: z.object({ action: z.string() }) },
    async ({ action }, ctx) => {
      const schema = z.object({ confirm: z.boolean() });
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', schema);
      if (answer === undefined) {
        return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message: 'Really ' + action + '?', requestedSchema: schema }) } });
      }
      return { content: [{ type: 'text', text: (answer.confirm ? 'confirmed: ' : 'declined: ') + action }] };
    });

  for (const name of ['headers', 'héaders ünïcode']) {
    server.registerTool(name, { description: 'Answers with the MCP headers of its own POST', inputSchema: z.object({}) },
      async () => ({ content: [{ type: 'text', text: JSON.stringify(headers) }] }));
  }

  server.registerTool('slow', { description: 'Sends progress, then waits until cancelled', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      if (token !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
      }
      await new Promise((resolve) => {
        if (ctx.mcpReq.signal.aborted) resolve();
        ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      cancelled++;
      return { content: [{ type: 'text', text: 'cancelled' }] };
    });

  server.registerTool('cancelled', { description: 'How many slow calls were cancelled, and how many notices came', inputSchema: z.object({}) },
    async () => ({ content: [{ type: 'text', text: JSON.stringify({ cancelled, notices }) }] }));

  server.registerTool('secret', { description: 'Answers with a credential', inputSchema: z.object({}) },
    async () => ({ content: [{ type: 'text', text: 'the key is AKIAIOSFODNN7EXAMPLE' }] }));

  server.registerResource('greeting', 'test://greeting', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'hello from 2026 over HTTP' }] }));
  return server;
}, { legacy: process.argv.includes('--legacy') ? 'stateless' : 'reject' });

// node:http to the handler's web-standard fetch face; a client that goes away aborts the request.
const httpServer = http.createServer(async (req, res) => {
  const abort = new AbortController();
  let body;
  res.on('close', () => {
    if (!res.writableFinished) {
      abort.abort();
      body?.cancel().catch(() => {});
    }
  });
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    try {
      if (JSON.parse(Buffer.concat(chunks).toString()).method === 'notifications/cancelled') notices++;
    } catch {}
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const response = await handler.fetch(new Request('http://' + req.headers.host + req.url,
      { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, signal: abort.signal }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.flushHeaders();
    if (response.body) {
      body = response.body;
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  } catch (e) {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});
httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
