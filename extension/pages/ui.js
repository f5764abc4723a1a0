// Small DOM helpers shared by papertray's own pages (popup, options, reading list): element building with
// textContent only, messages to the service worker, and the sentence for each daemon state.

/** el('li', {className: 'x'}, 'text', child) - attributes via properties, children as text or nodes. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

export function ask(type, fields = {}) {
  return chrome.runtime.sendMessage({ type, ...fields }).catch((error) => ({ ok: false, error: String(error) }));
}

/** A link to the paper's arXiv page; ids are checked canonical ids, so the URL is always https. */
export function paperUrl(id) {
  return `https://arxiv.org/abs/${encodeURI(id)}`;
}

/** {state, message} from the `status` handler -> [headline, what to do] */
export function explain(status) {
  switch (status?.state) {
    case 'running':
      return [status.message, ''];
    case 'unpaired':
      return [status.message, 'Run `papertray pair` in a terminal and type the code in the options page.'];
    case 'incompatible':
      return [status.message, 'Update papertray or this extension so that both speak the same API version.'];
    case 'offline':
      if (status.kind === 'foreign') return [status.message, 'Check the port in the options page.'];
      return ['papertray is not running.', 'Start it with `papertray run`.'];
    default:
      return ['papertray did not answer.', status?.error ?? ''];
  }
}

/** Render a sentence where `backticked` parts become <code>. */
export function sentence(text) {
  const frag = document.createDocumentFragment();
  String(text)
    .split(/(`[^`]+`)/)
    .forEach((part) => frag.append(part.startsWith('`') ? el('code', {}, part.slice(1, -1)) : part));
  return frag;
}
