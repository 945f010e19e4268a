// Drives the official `openai` SDK against the gateway and prints one JSON object with what it saw.
// Usage: node sdk-check.mjs BASE_URL MODEL [API_KEY]
// Each scenario is independent; a failure is reported as {"error": "..."} for that scenario so the
// Java test can say exactly which one broke.
import OpenAI from 'openai';

const [baseURL, model, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: apiKey ?? 'none', maxRetries: 0, timeout: 60_000 });
const messages = [{ role: 'user', content: 'Say something about streaming.' }];

async function scenario(name, fn) {
  try {
    return [name, await fn()];
  } catch (e) {
    return [name, { error: `${e.constructor.name}: ${e.message}`, status: e.status ?? null }];
  }
}

const results = Object.fromEntries(await Promise.all([
  scenario('models', async () => {
    const page = await client.models.list();
    return { ids: page.data.map((m) => m.id) };
  }),
  scenario('nonStream', async () => {
    const c = await client.chat.completions.create({ model, messages, max_tokens: 12, seed: 7 });
    return { object: c.object, content: c.choices[0].message.content, finish: c.choices[0].finish_reason,
      usage: c.usage ?? null };
  }),
  scenario('stream', async () => {
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 12, seed: 7, stream: true,
      stream_options: { include_usage: true } });
    let content = '';
    let chunks = 0;
    let finish = null;
    let usage = null;
    let roles = 0;
    const ids = new Set();
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.role) roles++;
        if (choice.delta.content) content += choice.delta.content;
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    return { content, chunks, finish, usage, roles, ids: ids.size };
  }),
  scenario('streamLogprobs', async () => {
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 5, seed: 7, stream: true,
      logprobs: true, top_logprobs: 2 });
    let tokens = 0;
    let withLogprobs = 0;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        if (choice.delta.content) tokens++;
        if (choice.logprobs?.content?.length) withLogprobs++;
      }
    }
    return { tokens, withLogprobs };
  }),
  scenario('unknownModel', async () => {
    await client.chat.completions.create({ model: 'no-such-model', messages });
    return { unexpected: 'no error' };
  }),
]));
console.log(JSON.stringify(results));
