// Intent and aspect tags on the live dashboard's comment feed, from the session's insight stream.
// Comments and their insights arrive on two streams in either order: insights are kept by comment
// id and put on a feed line as soon as both are there.
(() => {
  const script = document.currentScript;
  const feed = document.getElementById("comment-feed");
  if (!script || !feed) return;
  const labels = JSON.parse(script.dataset.labels);
  const known = new Map();
  const KEEP = 2000;
  let banner = null;

  function tag(line, insight) {
    const intent = document.createElement("span");
    intent.className = `badge intent-tag ${insight.intent}`;
    intent.textContent = labels.intents[insight.intent] || insight.intent;
    const time = line.firstElementChild;
    line.insertBefore(intent, time ? time.nextSibling : line.firstChild);
    for (const aspect of insight.aspects) {
      const span = document.createElement("span");
      span.className = "aspect-tag";
      span.textContent = "#" + (labels.aspects[aspect] || aspect);
      line.appendChild(span);
    }
    line.dataset.intent = insight.intent;
  }

  function apply() {
    for (const line of feed.querySelectorAll(".comment[data-comment-id]:not([data-intent])")) {
      const insight = known.get(line.dataset.commentId);
      if (insight) tag(line, insight);
    }
  }

  function showUnavailable(message) {
    if (!message) {
      if (banner) banner.remove();
      banner = null;
      return;
    }
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "alert error";
      banner.id = "insight-unavailable";
      feed.parentElement.insertBefore(banner, feed);
    }
    banner.textContent = `${script.dataset.unavailable}: ${message}`;
  }

  new MutationObserver(apply).observe(feed, { childList: true });
  const source = new EventSource(script.dataset.stream);
  source.addEventListener("insights", (event) => {
    const message = JSON.parse(event.data);
    for (const insight of message.insights) known.set(String(insight.id), insight);
    for (const id of known.keys()) {
      if (known.size <= KEEP) break;
      known.delete(id);
    }
    showUnavailable(message.unavailable);
    apply();
  });
})();
