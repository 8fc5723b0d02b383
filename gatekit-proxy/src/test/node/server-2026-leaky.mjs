// A 2026-07-28-only MCP server over stdio on the official TypeScript SDK v2, for the gateway's
// security tests of paths that reach a 2026-era server: tool echo, and tool leak, which logs and
// answers the AWS documentation's example access key (a secret a filter must stop). It refuses the
// 2025-era initialize handshake.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

const KEY = 'AKIAIOSFODNN7EXAMPLE';
serveStdio(() => {
  const server = new McpServer({ name: 'gatekit-test-2026-leaky', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes the message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: 'Echo: ' + message }] }));
  server.registerTool('leak', { description: 'Logs and answers a secret', inputSchema: z.object({}) },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'the key is ' + KEY).catch(() => {});
      return { content: [{ type: 'text', text: 'the key is ' + KEY }] };
    });
  return server;
}, { legacy: 'reject' });
