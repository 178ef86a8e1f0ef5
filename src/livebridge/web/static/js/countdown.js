// Deadlines counting down: every <span class="countdown" data-due="ISO"> shows the time left or overdue.
// With data-done (the moment the deadline was met or not), it shows whether it was met instead.
function formatSpan(ms, el) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [];
  if (days) parts.push(days + el.dataset.d);
  if (days || hours) parts.push(hours + el.dataset.h);
  parts.push((minutes % 60) + el.dataset.m);
  return parts.join(" ");
}
function tickCountdowns() {
  document.querySelectorAll(".countdown[data-due]").forEach((el) => {
    const due = Date.parse(el.dataset.due);
    if (el.dataset.done) {
      const met = Date.parse(el.dataset.done) <= due;
      el.textContent = met ? el.dataset.met : el.dataset.missed;
      el.classList.toggle("late", !met);
      return;
    }
    const left = due - Date.now();
    el.textContent = left >= 0 ? `${el.dataset.left} ${formatSpan(left, el)}` : `${el.dataset.late} ${formatSpan(left, el)}`;
    el.classList.toggle("late", left < 0);
    el.classList.toggle("soon", left >= 0 && left < 2 * 3600 * 1000);
  });
}
document.addEventListener("DOMContentLoaded", () => {
  tickCountdowns();
  setInterval(tickCountdowns, 1000);
});
