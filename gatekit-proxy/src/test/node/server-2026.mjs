// A 2026-07-28 MCP server over stdio, built on the official TypeScript SDK v2, for the gatekit-proxy
// protocol-version tests. Tools: echo, confirm (needs input: an input_required elicitation), and a
// resource. With --modern-only it refuses the 2025-era initialize handshake.
import { McpServer, inputRequired, acceptedContent } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

const modernOnly = process.argv.includes('--modern-only');
serveStdio(() => {
  const server = new McpServer({ name: 'gatekit-test-2026', version: '1.0.0' });

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

  server.registerResource('greeting', 'test://greeting', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'hello from 2026' }] }));

  return server;
}, { legacy: modernOnly ? 'reject' : 'serve' });
