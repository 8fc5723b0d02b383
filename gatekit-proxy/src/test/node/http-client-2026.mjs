// A 2026-07-28 MCP client over Streamable HTTP, built on the official TypeScript SDK v2, for the
// gatekit-server-http stateless tests. Usage: node http-client-2026.mjs SCENARIO URL
// Connects to URL pinned to 2026-07-28 (server/discover, no initialize, no session), runs SCENARIO and
// prints one JSON object of what it saw to stdout. Elicitations are accepted with {confirm: true};
// sampling requests are answered with "sampled: " + the first message's text.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [scenario, url] = process.argv.slice(2);
const seen = { elicitations: 0, samplings: 0, progress: 0 };
const client = new Client({ name: 'gatekit-http-client-2026', version: '1.0.0' }, {
  capabilities: { elicitation: { form: {} }, sampling: {} },
  versionNegotiation: { mode: { pin: '2026-07-28' } }
});
client.setRequestHandler('elicitation/create', async () => {
  seen.elicitations++;
  return { action: 'accept', content: { confirm: true } };
});
client.setRequestHandler('sampling/createMessage', async (request) => {
  seen.samplings++;
  const first = request.params.messages[0].content;
  return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'sampled: ' + (first.text ?? '') } };
});

const text = (result) => result.content.map((c) => c.text).join('');
const transport = new StreamableHTTPClientTransport(new URL(url));
try {
  await client.connect(transport);
  seen.era = client.getProtocolEra();
  seen.version = client.getNegotiatedProtocolVersion();
  seen.server = client.getServerVersion();
  seen.sessionId = transport.sessionId ?? null;
  seen.tools = (await client.listTools()).tools.map((t) => t.name);
  if (scenario === 'server-2026') {
    seen.echo = text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }));
    seen.confirm = text(await client.callTool({ name: 'confirm', arguments: { action: 'deploy' } }));
    seen.poem = text(await client.callTool({ name: 'poem', arguments: { topic: 'gates' } }));
    seen.resource = (await client.readResource({ uri: 'test://greeting' })).contents[0].text;
  } else if (scenario === 'server-everything') {
    seen.echo = text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }));
    seen.sampling = text(await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'a prime?', maxTokens: 10 } }));
    seen.slow = text(await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      { onprogress: () => { seen.progress++; } }));
  }
} catch (e) {
  seen.error = String(e && e.stack || e);
} finally {
  process.stdout.write(JSON.stringify(seen) + '\n');
  await client.close().catch(() => {});
}
