// govern exchange page: plain JS, no build step. Requests are events: each action answers 202
// with a guid; the outcome, the wallet and the rates come from the topics via the API.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { account: null, token: null, active: false, ticks: 0 };

function trim(amount) {
  if (amount === null || amount === undefined) return "";
  const text = String(amount);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await response.json(); } catch (_) { /* empty body */ }
  return { status: response.status, data };
}

function saveAccount(account, token) {
  state.account = account; state.token = token;
  if (account) { localStorage.setItem("govern.account", account); localStorage.setItem("govern.token", token); }
  else { localStorage.removeItem("govern.account"); localStorage.removeItem("govern.token"); }
  render();
}

function render() {
  const has = Boolean(state.account);
  $("create-form").hidden = has;
  $("account-info").hidden = !has;
  $("account-id").textContent = state.account || "";
  $("account-token").textContent = state.token || "";
  $("account-badge").textContent = has ? "account " + state.account : "no account";
  for (const id of ["deposit-btn", "withdraw-btn", "exchange-btn"]) $(id).disabled = !(has && state.active);
}

async function refreshAccount() {
  if (!state.account) return;
  const { status, data } = await api("GET", `/api/accounts/${state.account}`);
  if (status === 200) {
    $("account-state").textContent = data.state;
    state.active = data.state === "active";
    render();
  } else if (status === 403 || status === 401 || status === 404) {
    $("account-error").textContent = (data && data.error) || "account not available";
  }
}

async function refreshWallet() {
  if (!state.account) return;
  const { status, data } = await api("GET", `/api/accounts/${state.account}/wallet`);
  if (status !== 200) return;
  const body = $("wallet-body");
  body.innerHTML = "";
  if (!data.balances.length) body.innerHTML = '<tr><td colspan="3" class="muted">empty wallet</td></tr>';
  for (const b of data.balances) {
    const row = document.createElement("tr");
    row.dataset.currency = b.currency;
    row.dataset.amount = trim(b.amount);
    const value = b.valuation ? `${trim(b.valuation.amount)} ${b.valuation.currency}` : "–";
    row.innerHTML = `<td>${b.currency}</td><td class="num amount">${trim(b.amount)}</td><td class="num">${value}</td>`;
    body.appendChild(row);
  }
  const total = data.total_valuation;
  $("wallet-total").textContent = total ? `${trim(total.amount)} ${total.currency}` : "–";
}

function describe(item) {
  const r = item.request || {}, o = item.outcome;
  const what = r.type ? `${r.type.toLowerCase()} ${trim(r.amount)} ${r.currency}` +
    (r.target_currency ? ` → ${r.target_currency}` : "") : (o ? o.type.toLowerCase() : "request");
  let detail = "waiting for the transaction service…";
  if (item.status === "success") {
    const parts = [];
    if (o.debit_amount) parts.push(`−${trim(o.debit_amount)} ${o.debit_currency}`);
    if (o.credit_amount) parts.push(`+${trim(o.credit_amount)} ${o.credit_currency}`);
    if (o.rate) parts.push(`at ${trim(o.rate.price)} ${o.rate.quote}/${o.rate.base} (${o.rate.side.toLowerCase()})`);
    detail = parts.join(", ");
  } else if (item.status === "rejected") {
    detail = `${o.reason}: ${o.message}`;
  }
  return { what, detail };
}

async function refreshRequests() {
  if (!state.account) return;
  const { status, data } = await api("GET", `/api/accounts/${state.account}/requests`);
  if (status !== 200) return;
  const body = $("requests-body");
  body.innerHTML = "";
  if (!data.requests.length) body.innerHTML = '<tr><td colspan="3" class="muted">none yet</td></tr>';
  for (const item of data.requests) {
    const { what, detail } = describe(item);
    const row = document.createElement("tr");
    row.dataset.guid = item.guid;
    row.dataset.status = item.status;
    row.innerHTML = `<td>${what}</td><td class="status-${item.status}">${item.status}</td><td class="detail"></td>`;
    row.querySelector(".detail").textContent = detail;
    body.appendChild(row);
  }
}

async function submit(path, body) {
  $("action-error").textContent = "";
  const { status, data } = await api("POST", path, body);
  if (status !== 202) $("action-error").textContent = (data && data.error) || `refused (${status})`;
  await refreshRequests();
}

function onRate(rate) {
  state.ticks += 1;
  $("rate-ticks").textContent = state.ticks;
  const body = $("rates-body");
  if (body.querySelector(".muted")) body.innerHTML = "";
  let row = body.querySelector(`tr[data-pair="${rate.pair}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.pair = rate.pair;
    const after = [...body.children].find((r) => r.dataset.pair > rate.pair);
    body.insertBefore(row, after || null);
  }
  const time = new Date(rate.timestamp).toISOString().replace("T", " ").slice(0, 19);
  row.innerHTML = `<td>${rate.pair}</td><td class="num">${trim(rate.bid)}</td><td class="num">${trim(rate.ask)}</td><td>${time}</td>`;
  row.classList.remove("flash"); void row.offsetWidth; row.classList.add("flash");
}

async function init() {
  const { data } = await api("GET", "/api/currencies");
  for (const select of document.querySelectorAll("select.currency")) {
    for (const code of data.currencies) select.add(new Option(code, code));
  }
  $("exchange-to").selectedIndex = Math.min(1, data.currencies.length - 1);
  state.account = localStorage.getItem("govern.account");
  state.token = localStorage.getItem("govern.token");
  render();

  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("account-error").textContent = "";
    const body = { first_name: $("first-name").value, last_name: $("last-name").value };
    if ($("email").value) body.email = $("email").value;
    const { status, data: made } = await api("POST", "/api/accounts", body);
    if (status !== 202) { $("account-error").textContent = (made && made.error) || `refused (${status})`; return; }
    state.active = false;
    $("account-state").textContent = "pending";
    saveAccount(made.account_id, made.token);
  });
  $("forget-account").addEventListener("click", () => { state.active = false; saveAccount(null, null); });
  $("deposit-form").addEventListener("submit", (e) => { e.preventDefault();
    submit(`/api/accounts/${state.account}/deposits`, { amount: $("deposit-amount").value, currency: $("deposit-currency").value }); });
  $("withdraw-form").addEventListener("submit", (e) => { e.preventDefault();
    submit(`/api/accounts/${state.account}/withdrawals`, { amount: $("withdraw-amount").value, currency: $("withdraw-currency").value }); });
  $("exchange-form").addEventListener("submit", (e) => { e.preventDefault();
    submit(`/api/accounts/${state.account}/exchanges`, { amount: $("exchange-amount").value,
      currency: $("exchange-from").value, target_currency: $("exchange-to").value }); });

  const rates = new EventSource("/api/rates/stream");
  rates.addEventListener("rate", (event) => onRate(JSON.parse(event.data)));

  const tick = async () => {
    try { await refreshAccount(); await refreshWallet(); await refreshRequests(); }
    finally { setTimeout(tick, 700); }
  };
  tick();
}

init();
