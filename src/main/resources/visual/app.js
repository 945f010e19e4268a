// Neural Pipeline visual shell: watches the broadcast hub (/ws) and draws every token on a 256 x 256 Hilbert
// grid; starts chats through the gateway (/v1). No dependencies, no build step. docs/VISUAL-SHELL.md.
//
// How it stays smooth at 1,000 tokens/s: a WebSocket message only updates plain data (a fixed-size ring of lit
// cells, the stream's text, counters) and asks for an animation frame; all drawing happens once per frame in
// frame(). Memory is bounded: at most MAX_STREAMS streams with at most MAX_TEXT characters each, and the grid
// remembers at most FADE_SLOTS lit cells.
'use strict';

(() => {
  const GRID = 256;                 // cells per side; hilbert_position is normalised to 0..1
  const FADE_MS = 6000;             // a lit cell fades to nothing over this time
  const FADE_SLOTS = 8192;          // lit cells remembered (a ring): 6 s at 1,365 tokens/s
  const HALO = 0.4;                 // a lit cell glows on its four neighbours at this fraction of its strength
  const OWN_CELL = 2;               // strength recorded for a token's own cell: no glow covers it
  const MAX_STREAMS = 12;           // streams kept; the oldest ended one goes first
  const MAX_TEXT = 24000;           // characters kept per stream; beyond, the start is cut to KEEP_TEXT
  const KEEP_TEXT = 16000;
  const BACKOFF_MIN_MS = 250;
  const BACKOFF_MAX_MS = 8000;
  const THEME_KEY = 'neural-pipeline.theme';
  const API_KEY = 'neural-pipeline.api-key'; // in sessionStorage: forgotten when the tab closes
  const MODEL_KEY = 'neural-pipeline.model';

  // Canvas colours per theme; style.css has the same values for the legend.
  const PALETTES = {
    dark: { bg: '#05070a', neutral: '#9ca3af', ramp: ['#3b82f6', '#d946ef', '#fbbf24'] },
    light: { bg: '#ffffff', neutral: '#6b7280', ramp: ['#1d4ed8', '#7e22ce', '#c2410c'] },
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    connection: $('connection'), rate: $('rate'), dropped: $('dropped'),
    viewersFigure: $('viewers-figure'), viewers: $('viewers'), theme: $('theme'),
    form: $('prompt-form'), prompt: $('prompt'), model: $('model'), logprobs: $('logprobs'),
    keyField: $('key-field'), apiKey: $('api-key'), send: $('send'), stop: $('stop'), promptStatus: $('prompt-status'),
    canvas: $('grid'), noStreams: $('no-streams'), list: $('stream-list'), meta: $('stream-meta'),
    text: $('stream-text'),
  };

  /** Counters for tests and for anyone curious (window.visualShell.stats()). */
  const stats = { messages: 0, tokens: 0, ignored: 0, frames: 0, gridDraws: 0, textRenders: 0, connects: 0 };

  // ---------------------------------------------------------------- theme

  const systemDark = window.matchMedia('(prefers-color-scheme: dark)');
  let palette;

  function storedTheme() {
    try {
      const t = localStorage.getItem(THEME_KEY);
      return t === 'dark' || t === 'light' ? t : 'auto';
    } catch (e) {
      return 'auto';
    }
  }

  function applyTheme() {
    const choice = storedTheme();
    const theme = choice === 'auto' ? (systemDark.matches ? 'dark' : 'light') : choice;
    document.documentElement.dataset.theme = theme;
    ui.theme.value = choice;
    palette = buildPalette(PALETTES[theme]);
    grid.forceDraw = true;
    requestFrame();
  }

  ui.theme.addEventListener('change', () => {
    try {
      if (ui.theme.value === 'auto') {
        localStorage.removeItem(THEME_KEY);
      } else {
        localStorage.setItem(THEME_KEY, ui.theme.value);
      }
    } catch (e) {
      // storage disabled: the choice lasts until the page is reloaded
    }
    applyTheme();
  });
  systemDark.addEventListener('change', applyTheme);

  function rgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  /** Resolved colours: background and neutral, and a 256-entry lookup table for the probability ramp. */
  function buildPalette(p) {
    const stops = p.ramp.map(rgb);
    const ramp = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(Math.floor(t), stops.length - 2);
      const f = t - k;
      for (let c = 0; c < 3; c++) {
        ramp[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
      }
    }
    return { bg: rgb(p.bg), neutral: rgb(p.neutral), ramp };
  }

  // ---------------------------------------------------------------- the grid: a fixed-size ring of lit cells

  const grid = {
    ctx: ui.canvas.getContext('2d', { alpha: false }),
    image: null,
    pixels: null,
    cell: new Int32Array(FADE_SLOTS),
    litAt: new Float64Array(FADE_SLOTS),
    activation: new Int16Array(FADE_SLOTS), // 0..255 for a measured probability, -1 for none
    strength: new Float32Array(GRID * GRID), // per frame: the strongest glow painted on each cell
    next: 0,
    size: 0,
    lastLit: -Infinity,
    forceDraw: true,    // the palette changed: draw even if nothing is lit
    drawnLive: false,   // the canvas shows lit cells: one more draw once they all faded
  };
  grid.image = grid.ctx.createImageData(GRID, GRID);
  grid.pixels = new Uint32Array(grid.image.data.buffer); // little-endian RGBA: 0xAABBGGRR

  function light(position, activation, measured, now) {
    if (!Array.isArray(position) || position.length < 2) {
      return;
    }
    const x = clampCell(position[0]);
    const y = clampCell(position[1]);
    if (x < 0 || y < 0) {
      return;
    }
    const i = grid.next;
    grid.cell[i] = (GRID - 1 - y) * GRID + x; // y grows upwards, as the curve is usually drawn
    grid.litAt[i] = now;
    grid.activation[i] = measured && Number.isFinite(activation)
      ? Math.round(Math.max(0, Math.min(1, activation)) * 255) : -1;
    grid.next = (i + 1) % FADE_SLOTS;
    grid.size = Math.min(grid.size + 1, FADE_SLOTS);
    grid.lastLit = now;
  }

  function clampCell(v) {
    return Number.isFinite(v) ? Math.max(0, Math.min(GRID - 1, Math.round(v * (GRID - 1)))) : -1;
  }

  function packed(r, g, b) {
    return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }

  /**
   * Draws every cell lit in the last FADE_MS, oldest first so that the newest wins, each with a glow of
   * HALO of its strength on its four neighbours (a single cell is only a couple of screen pixels); returns
   * whether any cell is still lit.
   */
  function drawGrid(now) {
    const live = now - grid.lastLit < FADE_MS;
    if (!live && !grid.forceDraw && !grid.drawnLive) {
      return false; // nothing lit, and the canvas already shows that
    }
    grid.forceDraw = false;
    grid.drawnLive = live;
    const [br, bg, bb] = palette.bg;
    grid.pixels.fill(packed(br, bg, bb));
    grid.strength.fill(0);
    const start = (grid.next - grid.size + FADE_SLOTS) % FADE_SLOTS;
    for (let n = 0; n < grid.size; n++) {
      const i = (start + n) % FADE_SLOTS;
      const age = now - grid.litAt[i];
      if (age >= FADE_MS || age < 0) {
        continue;
      }
      const a = 1 - age / FADE_MS;
      const act = grid.activation[i];
      let r; let g; let b;
      if (act < 0) {
        [r, g, b] = palette.neutral;
      } else {
        r = palette.ramp[act * 3]; g = palette.ramp[act * 3 + 1]; b = palette.ramp[act * 3 + 2];
      }
      const cell = grid.cell[i];
      const x = cell & (GRID - 1);
      paint(cell, a, r, g, b, true);
      const h = a * HALO;
      if (x > 0) paint(cell - 1, h, r, g, b, false);
      if (x < GRID - 1) paint(cell + 1, h, r, g, b, false);
      if (cell >= GRID) paint(cell - GRID, h, r, g, b, false);
      if (cell < GRID * (GRID - 1)) paint(cell + GRID, h, r, g, b, false);
    }
    grid.ctx.putImageData(grid.image, 0, 0);
    stats.gridDraws++;
    return live;
  }

  /** Blends colour (r, g, b) at strength a over the background; a glow never covers a stronger colour. */
  function paint(cell, a, r, g, b, own) {
    if (!own && a <= grid.strength[cell]) return;
    grid.strength[cell] = own ? OWN_CELL : a;
    const [br, bg, bb] = palette.bg;
    grid.pixels[cell] = packed(
      Math.round(br + (r - br) * a), Math.round(bg + (g - bg) * a), Math.round(bb + (b - bb) * a));
  }

  // ---------------------------------------------------------------- streams

  /** request_id -> stream; insertion order is age. */
  const streams = new Map();
  let selectedId = null;   // the stream whose text is shown
  let followNewest = true; // until the user picks one, the newest stream is shown (after the page's own chat)
  let wantedId = null;     // the request this page just started: select it when it shows up
  let listDirty = true;
  let textReset = true;
  let metaDirty = true;

  function streamFor(requestId, fields, now) {
    let s = streams.get(requestId);
    if (!s) {
      s = {
        id: requestId, model: '', upstream: '', text: '', rendered: 0, tokens: 0, ended: false, lastAt: now,
        finishReason: null, outcome: null, error: null, tokensPerSecond: null, meanProbability: null, entropy: null,
      };
      streams.set(requestId, s);
      evictStreams();
      listDirty = true;
      if (requestId === wantedId || (followNewest && !showingOwnChat())) {
        select(requestId, false);
      }
    }
    s.lastAt = now;
    if (fields) {
      if (fields.model && !s.model) { s.model = String(fields.model); listDirty = true; }
      if (fields.upstream && !s.upstream) { s.upstream = String(fields.upstream); listDirty = true; }
    }
    return s;
  }

  /** Keeps MAX_STREAMS streams: drops the one quiet for longest, an ended one first, never the one shown. */
  function evictStreams() {
    while (streams.size > MAX_STREAMS) {
      let victim = null;
      for (const s of streams.values()) {
        if (s.id === selectedId) continue;
        if (victim === null || (s.ended && !victim.ended)
            || (s.ended === victim.ended && s.lastAt < victim.lastAt)) {
          victim = s;
        }
      }
      if (victim === null) return;
      streams.delete(victim.id);
      listDirty = true;
    }
  }

  /** The page shows the stream of the prompt it sent, which is still running: newer streams wait. */
  function showingOwnChat() {
    const s = streams.get(selectedId);
    return selectedId !== null && selectedId === wantedId && s !== undefined && !s.ended;
  }

  function select(requestId, byUser) {
    if (byUser) {
      followNewest = false;
    }
    if (selectedId !== requestId) {
      selectedId = requestId;
      textReset = true;
      metaDirty = true;
      listDirty = true;
      requestFrame();
    }
  }

  function appendText(s, token) {
    s.text += token;
    if (s.text.length > MAX_TEXT) {
      s.text = '…' + s.text.slice(s.text.length - KEEP_TEXT);
      if (s.id === selectedId) {
        textReset = true;
      }
    }
  }

  // ---------------------------------------------------------------- messages from the hub

  /** A field of a message, wherever the hub put it: top level, payload or data. */
  function field(msg, name) {
    if (msg[name] !== undefined) return msg[name];
    if (msg.payload && msg.payload[name] !== undefined) return msg.payload[name];
    if (msg.data && msg.data[name] !== undefined) return msg.data[name];
    return undefined;
  }

  let lastSeq = 0;
  let dropped = 0;
  const rateBuckets = new Uint32Array(10); // tokens per 100 ms, last second
  let rateBucketAt = 0;

  function countRate(now) {
    const bucket = Math.floor(now / 100);
    if (bucket !== rateBucketAt) {
      for (let b = rateBucketAt + 1; b <= bucket && b - rateBucketAt <= 10; b++) {
        rateBuckets[b % 10] = 0;
      }
      rateBucketAt = bucket;
    }
  }

  function onMessage(raw, now) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch (e) {
      stats.ignored++;
      return;
    }
    stats.messages++;
    if (typeof msg.seq === 'number' && msg.seq > 0) {
      lastSeq = msg.seq;
    }
    switch (msg.message_type) {
      case 'TokenVisualizationUpdate': {
        const p = msg.payload || {};
        const id = p.request_id || field(msg, 'request_id') || '(unnamed)';
        const s = streamFor(id, p, now);
        if (!p.choice) { // the text panel follows the first choice; every choice lights cells
          appendText(s, typeof p.current_token === 'string' ? p.current_token : '');
        }
        s.tokens++;
        stats.tokens++;
        countRate(now);
        rateBuckets[rateBucketAt % 10]++;
        light(p.hilbert_position, p.activation, p.activation_source === 'logprob', now);
        if (s.id === selectedId) metaDirty = true;
        break;
      }
      case 'NeuralStateUpdate': {
        const id = field(msg, 'request_id');
        const s = id ? streamFor(id, { upstream: msg.daemon_id }, now) : null;
        if (s) {
          const d = msg.data || {};
          if (typeof d.tokens_per_second === 'number') s.tokensPerSecond = d.tokens_per_second;
          if (typeof d.mean_probability === 'number') s.meanProbability = d.mean_probability;
          if (typeof d.entropy === 'number') s.entropy = d.entropy;
          if (d.finish_reason) { s.finishReason = String(d.finish_reason); listDirty = true; }
          if (s.id === selectedId) metaDirty = true;
        }
        break;
      }
      case 'StreamStarted': {
        const id = field(msg, 'request_id');
        if (id) streamFor(id, { model: field(msg, 'model'), upstream: field(msg, 'upstream') }, now);
        break;
      }
      case 'StreamEnded': {
        const id = field(msg, 'request_id');
        if (id) {
          const s = streamFor(id, { model: field(msg, 'model'), upstream: field(msg, 'upstream') }, now);
          s.ended = true;
          s.outcome = field(msg, 'outcome') ? String(field(msg, 'outcome')) : null;
          s.error = field(msg, 'error') ? String(field(msg, 'error')) : null;
          const reason = field(msg, 'finish_reason');
          if (reason && !s.finishReason) s.finishReason = String(reason);
          listDirty = true;
          if (s.id === selectedId) metaDirty = true;
        }
        break;
      }
      case 'Dropped': {
        const count = field(msg, 'count');
        if (typeof count === 'number' && count > 0) {
          dropped += count;
          ui.dropped.textContent = dropped.toLocaleString();
          ui.dropped.title = 'last reason: ' + (field(msg, 'reason') || 'unknown');
        }
        break;
      }
      default:
        stats.ignored++;
    }
    requestFrame();
  }

  // ---------------------------------------------------------------- the connection: reconnect, resume

  let socket = null;
  let attempt = 0;
  let retryTimer = 0;
  let countdownTimer = 0;

  function setConnection(state, text) {
    ui.connection.dataset.state = state;
    ui.connection.textContent = text;
  }

  function hubUrl() {
    const url = new URL('/ws', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const page = new URLSearchParams(window.location.search);
    for (const key of ['request_id', 'model', 'types']) { // the page's own filters go to the hub
      if (page.get(key)) url.searchParams.set(key, page.get(key));
    }
    if (lastSeq > 0) url.searchParams.set('since', String(lastSeq));
    if (apiKey) url.searchParams.set('access_token', apiKey); // a browser's WebSocket cannot send headers
    return url.toString();
  }

  function connect() {
    clearTimeout(retryTimer); // connect() may come early: the 'online' event, a new API key
    clearInterval(countdownTimer);
    setConnection(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(hubUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      stats.connects++;
      setConnection('connected', 'connected');
      if (!ui.model.value) loadModels();
      pollViewers();
    };
    ws.onmessage = (event) => {
      if (socket === ws && typeof event.data === 'string') onMessage(event.data, performance.now());
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      scheduleReconnect();
    };
    ws.onerror = () => {}; // onclose follows and decides
  }

  function scheduleReconnect() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 10));
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // jitter: many viewers, one server
    attempt++;
    const until = Date.now() + delay;
    const tick = () => { // after 3 failures in a row the server is probably down: say so, keep trying
      const left = Math.ceil((until - Date.now()) / 1000);
      const text = left > 0 ? `reconnecting in ${left} s` : 'reconnecting';
      setConnection(attempt >= 3 ? 'offline' : 'reconnecting', attempt >= 3 ? `offline, ${text}` : text);
    };
    tick();
    countdownTimer = setInterval(tick, 500);
    retryTimer = setTimeout(connect, delay);
  }

  window.addEventListener('online', () => { if (!socket) connect(); });

  // ---------------------------------------------------------------- drawing: once per animation frame

  let frameRequested = false;

  function requestFrame() {
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(frame);
    }
  }

  function frame() {
    frameRequested = false;
    stats.frames++;
    const now = performance.now();
    if (listDirty) renderList();
    if (metaDirty) renderMeta();
    renderText();
    if (drawGrid(now)) requestFrame(); // keep fading while anything is lit
  }

  function renderList() {
    listDirty = false;
    ui.noStreams.hidden = streams.size > 0;
    const items = [];
    for (const s of [...streams.values()].reverse()) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.requestId = s.id;
      b.setAttribute('aria-pressed', String(s.id === selectedId));
      const model = document.createElement('span');
      model.className = 'model';
      model.textContent = s.model || 'unknown model';
      const sub = document.createElement('span');
      sub.className = 'sub';
      sub.textContent = `${s.upstream || '?'} · ${endLabel(s)} · …${s.id.slice(-6)}`;
      b.append(model, sub);
      b.title = `request ${s.id}`;
      b.addEventListener('click', () => select(s.id, true));
      li.append(b);
      items.push(li);
    }
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.requestId : undefined;
    ui.list.replaceChildren(...items);
    if (focused) { // keep keyboard focus on the same stream across re-renders
      const again = ui.list.querySelector(`button[data-request-id="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  /** live, or how the stream ended: its finish reason, or failed / cancelled. */
  function endLabel(s) {
    if (s.outcome === 'failed' || s.outcome === 'cancelled') return s.outcome;
    if (s.finishReason) return s.finishReason;
    return s.ended ? 'ended' : 'live';
  }

  function renderMeta() {
    metaDirty = false;
    const s = streams.get(selectedId);
    if (!s) {
      ui.meta.textContent = '';
      return;
    }
    const parts = [
      `${s.model || 'unknown model'} via ${s.upstream || '?'}`,
      `${s.tokens.toLocaleString()} token${s.tokens === 1 ? '' : 's'}`,
    ];
    if (s.tokensPerSecond !== null) parts.push(`${s.tokensPerSecond.toFixed(1)} tokens/s`);
    if (s.meanProbability !== null) parts.push(`mean p ${s.meanProbability.toFixed(2)}`);
    if (s.entropy !== null) parts.push(`entropy ${s.entropy.toFixed(2)}`);
    const end = endLabel(s);
    parts.push(end === 'live' ? end : `ended: ${end}`);
    if (s.error) parts.push(s.error);
    ui.meta.textContent = parts.join(' · ');
  }

  function renderText() {
    const s = streams.get(selectedId);
    if (!s) {
      if (textReset) { ui.text.textContent = ''; textReset = false; }
      return;
    }
    if (!textReset && s.rendered === s.text.length) return;
    const el = ui.text;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (textReset || !el.firstChild) {
      el.textContent = s.text;
      textReset = false;
    } else {
      el.firstChild.appendData(s.text.slice(s.rendered));
    }
    s.rendered = s.text.length;
    stats.textRenders++;
    if (atBottom) el.scrollTop = el.scrollHeight;
  }

  setInterval(() => { // tokens/s over the last second, counted here
    countRate(performance.now());
    let sum = 0;
    for (const n of rateBuckets) sum += n;
    const shown = String(sum);
    if (ui.rate.textContent !== shown) ui.rate.textContent = shown;
  }, 250);

  // The hub counts its viewers in the Prometheus gauge neural_pipeline_broadcast_viewers (one series per
  // transport). Shown while the page is connected; hidden when the server does not expose it.
  async function pollViewers() {
    let sum = null;
    try {
      const res = await fetch('/metrics', { headers: authHeaders({ Accept: 'text/plain' }) });
      if (res.ok) {
        for (const line of (await res.text()).split('\n')) {
          if (/^neural_pipeline_broadcast_viewers[{ ]/.test(line)) {
            const v = Number(line.slice(line.lastIndexOf(' ') + 1));
            if (Number.isFinite(v)) sum = (sum || 0) + v;
          }
        }
      }
    } catch (e) {
      sum = null;
    }
    ui.viewersFigure.hidden = sum === null;
    if (sum !== null) ui.viewers.textContent = String(sum);
  }

  setInterval(() => { if (socket && socket.readyState === WebSocket.OPEN) pollViewers(); }, 5000);

  // ---------------------------------------------------------------- the prompt: a streamed chat through /v1

  let running = null; // AbortController of the chat in flight
  let apiKey = sessionGet(API_KEY) || '';

  /** Only when the server asks for one (auth.api_keys): the key as a bearer token. */
  function authHeaders(headers) {
    return apiKey ? { ...headers, Authorization: `Bearer ${apiKey}` } : headers;
  }

  ui.apiKey.addEventListener('change', () => {
    apiKey = ui.apiKey.value.trim();
    try { sessionStorage.setItem(API_KEY, apiKey); } catch (e) { /* storage disabled */ }
    loadModels();
    attempt = 0; // reconnect now, with the key
    if (socket) {
      const old = socket;
      socket = null; // its close is not a failure to retry
      old.close();
    }
    connect();
  });

  async function loadModels() {
    try {
      const res = await fetch('/v1/models', { headers: authHeaders({ Accept: 'application/json' }) });
      if (res.status === 401) {
        ui.keyField.hidden = false;
        ui.model.replaceChildren(new Option('API key needed', ''));
        status('This server needs an API key: enter it to list models and watch streams.', true);
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      const ids = (body.data || []).map((m) => m.id).filter((id) => typeof id === 'string');
      const remembered = safeGet(MODEL_KEY);
      ui.model.replaceChildren(...ids.map((id) => new Option(id, id)));
      if (ids.length === 0) {
        ui.model.append(new Option('no model available', ''));
      } else if (remembered && ids.includes(remembered)) {
        ui.model.value = remembered;
      }
    } catch (e) {
      ui.model.replaceChildren(new Option('models unavailable', ''));
    }
  }

  ui.model.addEventListener('change', () => safeSet(MODEL_KEY, ui.model.value));

  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ui.form.requestSubmit();
    }
  });

  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const prompt = ui.prompt.value.trim();
    if (!prompt || running) return;
    if (!ui.model.value) {
      status('Pick a model first (none is available yet).', true);
      return;
    }
    ui.prompt.value = ''; // ready for the next one; given back if the server refuses this one
    chat(ui.model.value, prompt, ui.logprobs.checked);
  });

  ui.stop.addEventListener('click', () => { if (running) running.abort(); });

  function status(text, error) {
    ui.promptStatus.textContent = text;
    ui.promptStatus.classList.toggle('error', Boolean(error));
  }

  async function chat(model, prompt, logprobs) {
    const abort = new AbortController();
    running = abort;
    ui.send.disabled = true;
    ui.stop.disabled = false;
    status(`Sending to ${model}…`);
    let tokens = 0;
    let finish = null;
    try {
      const body = { model, stream: true, messages: [{ role: 'user', content: prompt }] };
      if (logprobs) body.logprobs = true;
      const res = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      wantedId = res.headers.get('X-Request-ID');
      if (wantedId && streams.has(wantedId)) select(wantedId, false);
      if (!res.ok) {
        status(`Error ${res.status}: ${await errorMessage(res)}`, true);
        if (!ui.prompt.value) ui.prompt.value = prompt;
        return;
      }
      await readEvents(res.body, (data) => {
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message || 'stream error');
        if (chunk.id && streams.has(chunk.id) && wantedId && !streams.has(wantedId)) {
          wantedId = chunk.id;
          select(chunk.id, false);
        }
        for (const choice of chunk.choices || []) {
          if (choice.delta && typeof choice.delta.content === 'string' && choice.delta.content) tokens++;
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        status(`Streaming from ${model}: ${tokens} tokens`);
      });
      status(`Done: ${tokens} tokens from ${model}, finish reason ${finish || 'none'}.`);
    } catch (e) {
      status(abort.signal.aborted ? `Stopped after ${tokens} tokens.` : `Failed: ${e.message}`, !abort.signal.aborted);
    } finally {
      running = null;
      ui.send.disabled = false;
      ui.stop.disabled = true;
    }
  }

  async function errorMessage(res) {
    try {
      const body = await res.json();
      return (body.error && body.error.message) || res.statusText;
    } catch (e) {
      return res.statusText;
    }
  }

  /** Reads a text/event-stream body, calling onData with each event's data (the fields chats use). */
  async function readEvents(stream, onData) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        if (buffer[nl] === '\r' && nl === buffer.length - 1) break; // a CR whose LF may follow
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) onData(data.join('\n'));
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        } // comments (keep-alives), event:, id: and retry: do not matter to a chat
      }
    }
  }

  function safeGet(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function sessionGet(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function safeSet(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* storage disabled */ }
  }

  // ---------------------------------------------------------------- start

  window.visualShell = Object.freeze({
    stats: () => ({
      ...stats, streams: streams.size, lastSeq, dropped, selected: selectedId,
      longestText: Math.max(0, ...[...streams.values()].map((s) => s.text.length)),
      litSlots: grid.size, connected: socket !== null && socket.readyState === WebSocket.OPEN,
    }),
    limits: Object.freeze({ GRID, FADE_MS, FADE_SLOTS, MAX_STREAMS, MAX_TEXT }),
  });

  applyTheme();
  loadModels();
  connect();
})();
