// A 2026-07-28 MCP server over stdio, built on the official TypeScript SDK v2, for the gatekit-proxy
// protocol-version tests. Tools: echo, confirm (needs input: an input_required elicitation), poem
// (two input_required rounds of sampling, with a requestState), and a resource. With --modern-only it
// refuses the 2025-era initialize handshake.
import { McpServer, inputRequired, inputResponse, acceptedContent } from '@modelcontextprotocol/server';
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

  // Two rounds of sampling through input_required; the first answer travels to the last round only
  // in the opaque requestState, so the state must come back byte for byte.
  server.registerTool('poem', { description: 'Samples a poem, then its title, in two input_required rounds', inputSchema: z.object({ topic: z.string() }) },
    async ({ topic }, ctx) => {
      const sampled = (key) => {
        const view = inputResponse(ctx.mcpReq.inputResponses, key);
        return view.kind === 'sampling' ? view.result.content.text : undefined;
      };
      const ask = (text) => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens: 50 });
      const state = ctx.mcpReq.requestState();
      if (state === undefined) {
        return inputRequired({ inputRequests: { poem: ask('a poem about ' + topic) }, requestState: 'round-1' });
      }
      if (state === 'round-1' && sampled('poem') !== undefined) {
        const poem = sampled('poem');
        return inputRequired({ inputRequests: { title: ask('a title for ' + poem) }, requestState: JSON.stringify({ poem }) });
      }
      const poem = JSON.parse(state).poem;
      const title = sampled('title');
      if (poem === undefined || title === undefined) {
        throw new Error('the retry lost its state or its answer: ' + state);
      }
      return { content: [{ type: 'text', text: title + ' / ' + poem }] };
    });

  server.registerResource('greeting', 'test://greeting', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'hello from 2026' }] }));

  return server;
}, { legacy: modernOnly ? 'reject' : 'serve' });
