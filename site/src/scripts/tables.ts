/**
 * Sortable, filterable tables whose state lives in the URL, so a reload or a shared link shows
 * the same view: `?sort=iqm&order=desc&q=fresh&kind=method&complete=1` (a table with
 * `data-table="t"` uses `t.sort`, `t.q`, …). Without JavaScript the tables are plain and
 * ranked; the controls stay hidden.
 *
 * Markup contract: `[data-table]` wraps `.controls` (inputs with `data-filter` = q | kind |
 * complete) and a table whose sortable header cells carry `data-sort` (a column key) and
 * `data-type` (number | text); body cells carry `data-col` and `data-value` (empty = n/a, which
 * sorts last in either order); rows carry `data-search`, `data-kind` and `data-complete`.
 */

type Order = 'asc' | 'desc';

interface State {
  sort: string | null;
  order: Order;
  q: string;
  kind: string;
  complete: boolean;
}

for (const root of document.querySelectorAll<HTMLElement>('[data-table]')) enhance(root);

function enhance(root: HTMLElement): void {
  const table = root.querySelector('table');
  const body = table?.tBodies[0];
  if (!table || !body || !table.tHead) return;
  const prefix = root.dataset.table ?? '';
  const param = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const rows = [...body.rows];
  const headers = [...table.tHead.rows[0].cells].filter((th) => th.dataset.sort);
  const controls = root.querySelector<HTMLElement>('.controls');
  const search = root.querySelector<HTMLInputElement>('[data-filter="q"]');
  const kind = root.querySelector<HTMLSelectElement>('[data-filter="kind"]');
  const complete = root.querySelector<HTMLInputElement>('[data-filter="complete"]');
  const count = root.querySelector<HTMLOutputElement>('output');

  const url = new URL(location.href);
  const order = url.searchParams.get(param('order'));
  const state: State = {
    sort: headers.some((th) => th.dataset.sort === url.searchParams.get(param('sort'))) ? url.searchParams.get(param('sort')) : null,
    order: order === 'desc' ? 'desc' : 'asc',
    q: url.searchParams.get(param('q')) ?? '',
    kind: url.searchParams.get(param('kind')) ?? '',
    complete: url.searchParams.get(param('complete')) === '1',
  };

  for (const th of headers) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener('click', () => {
      const key = th.dataset.sort!;
      state.order = state.sort === key && state.order === 'asc' ? 'desc' : 'asc';
      state.sort = key;
      apply(true);
    });
  }
  if (controls) controls.hidden = false;
  if (search) {
    search.value = state.q;
    search.addEventListener('input', () => {
      state.q = search.value;
      apply(true);
    });
  }
  if (kind) {
    kind.value = [...kind.options].some((o) => o.value === state.kind) ? state.kind : '';
    kind.addEventListener('change', () => {
      state.kind = kind.value;
      apply(true);
    });
  }
  if (complete) {
    complete.checked = state.complete;
    complete.addEventListener('change', () => {
      state.complete = complete.checked;
      apply(true);
    });
  }
  apply(false);

  function apply(save: boolean): void {
    const sorted = [...rows];
    const th = headers.find((h) => h.dataset.sort === state.sort);
    if (th) {
      const numeric = th.dataset.type === 'number';
      const sign = state.order === 'asc' ? 1 : -1;
      const value = (row: HTMLTableRowElement) => row.querySelector<HTMLElement>(`[data-col="${state.sort}"]`)?.dataset.value ?? '';
      // Stable: ties keep rank order. Missing values (n/a) go last in either order.
      sorted.sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
        return sign * (numeric ? Number(x) - Number(y) : x.localeCompare(y));
      });
    }
    for (const h of headers) h.setAttribute('aria-sort', h === th ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
    body!.append(...sorted);

    const q = state.q.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const visible =
        (!q || (row.dataset.search ?? row.textContent ?? '').includes(q)) &&
        (!state.kind || row.dataset.kind === state.kind) &&
        (!state.complete || row.dataset.complete === 'yes');
      row.hidden = !visible;
      if (visible) shown++;
    }
    if (count) count.textContent = `Showing ${shown} of ${rows.length}`;
    if (save) {
      const next = new URL(location.href);
      const set = (name: string, value: string | null) =>
        value ? next.searchParams.set(param(name), value) : next.searchParams.delete(param(name));
      set('sort', state.sort);
      set('order', state.sort && state.order === 'desc' ? 'desc' : null);
      set('q', state.q.trim() || null);
      set('kind', state.kind || null);
      set('complete', state.complete ? '1' : null);
      history.replaceState(null, '', next);
    }
  }
}
