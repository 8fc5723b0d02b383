// A 2026-07-28 MCP client over stdio, built on the official TypeScript SDK v2, for the gatekit-proxy
// protocol-version tests. Usage: node client-2026.mjs SCENARIO COMMAND [ARGS...]
// Starts COMMAND (the gateway), connects pinned to 2026-07-28 (server/discover, no initialize), runs
// SCENARIO and prints one JSON object of what it saw to stdout. Elicitations are accepted with
// {confirm: true}; sampling requests are answered with "sampled: " + the first message's text.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const [scenario, command, ...args] = process.argv.slice(2);
const seen = { elicitations: 0, samplings: 0 };
const client = new Client({ name: 'gatekit-test-client-2026', version: '1.0.0' }, {
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
const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
try {
  await client.connect(transport);
  seen.era = client.getProtocolEra();
  seen.version = client.getNegotiatedProtocolVersion();
  seen.server = client.getServerVersion();
  seen.tools = (await client.listTools()).tools.map((t) => t.name);
  if (scenario === 'server-2026') {
    seen.echo = text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }));
    seen.confirm = text(await client.callTool({ name: 'confirm', arguments: { action: 'deploy' } }));
    seen.resource = (await client.readResource({ uri: 'test://greeting' })).contents[0].text;
  } else if (scenario === 'server-everything') {
    seen.echo = text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }));
    seen.sampling = text(await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'a prime?', maxTokens: 10 } }));
  } else if (scenario === 'listen-everything') {
    // subscriptions/listen for one resource; server-everything's toggle-subscriber-updates tool then
    // sends notifications/resources/updated for every URI subscribed, at once and every 5 s.
    const uri = (await client.listResources()).resources[0].uri;
    let updated;
    const update = new Promise((resolve) => { updated = resolve; });
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      seen.updates = (seen.updates ?? 0) + 1;
      seen.updatedUri = n.params.uri;
      seen.updateSubscriptionId = n.params._meta?.['io.modelcontextprotocol/subscriptionId'] ?? null;
      updated();
    });
    seen.uri = uri;
    const subscription = await client.listen({ resourceSubscriptions: [uri], promptsListChanged: true });
    seen.honored = subscription.honoredFilter;
    seen.toggle = text(await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} }));
    let timer;
    await Promise.race([update, new Promise((resolve) => { timer = setTimeout(resolve, 30000); })]);
    clearTimeout(timer);
    await subscription.close();
    seen.closed = await subscription.closed;
    // stops the updates again: their timer would keep server-everything running past the end of its input
    seen.toggleOff = text(await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} }));
  } else if (scenario === 'testkit') {
    seen.echo = text(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }));
    seen.sampling = text(await client.callTool({ name: 'sample', arguments: { prompt: 'a prime?' } }));
  }
} catch (e) {
  seen.error = String(e && e.stack || e);
} finally {
  process.stdout.write(JSON.stringify(seen) + '\n');
  await client.close().catch(() => {});
}
