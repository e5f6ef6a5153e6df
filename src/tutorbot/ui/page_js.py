"""UI stage: the page's own small scripts, put in the page's <head> at launch (``HEAD``).

Gradio's tab bar has no keyboard model of its own: every tab button is a tab stop and arrow keys do
nothing. These scripts give it the WAI-ARIA tabs pattern (Left/Right/Home/End move between tabs, only
the selected tab is a tab stop), make each radio group one tab stop, and close the conversation drawer
on phones, where the chat needs the first screen.
"""

from __future__ import annotations

PHONE_QUERY = "(max-width: 640px)"  # the same width as ``theme.PHONE_CSS``

# Arrow keys on a focused tab select its neighbour (wrapping round), as the ARIA tabs pattern says.
TAB_KEYS_JS = """
document.addEventListener('keydown', (e) => {
  const tab = e.target instanceof Element ? e.target.closest('[role=tablist] [role=tab]') : null;
  const keys = ['ArrowRight', 'ArrowLeft', 'Home', 'End'];
  if (!tab || e.altKey || e.ctrlKey || e.metaKey || !keys.includes(e.key)) return;
  const tabs = [...tab.closest('[role=tablist]').querySelectorAll('[role=tab]')]
    .filter((b) => !b.disabled && b.offsetParent !== null);
  const i = tabs.indexOf(tab), n = tabs.length;
  const j = {ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1}[e.key];
  e.preventDefault();
  tabs[j].focus();
  tabs[j].click();
});
"""

# Only the selected tab is a tab stop (roving tabindex): Tab leaves the bar instead of walking all five.
ROVING_JS = """
const tbRove = (list) => list.querySelectorAll('[role=tab]').forEach((b) => {
  b.tabIndex = b.getAttribute('aria-selected') === 'true' ? 0 : -1; });
"""

# Gradio names each radio button of a group differently, so every option was its own tab stop and arrow
# keys did nothing; one name per group gives the native radio group: one tab stop, arrows move the choice.
RADIO_JS = """
let tbGroups = 0, tbPending = false;
const tbGroupRadios = () => {
  tbPending = false;
  document.querySelectorAll('fieldset').forEach((set) => {
    const radios = set.querySelectorAll('input[type=radio]');
    if (!radios.length) return;
    set.dataset.tbGroup = set.dataset.tbGroup || `tb-radio-${++tbGroups}`;
    radios.forEach((r) => { if (r.name !== set.dataset.tbGroup) r.name = set.dataset.tbGroup; });
  });
};
new MutationObserver(() => {  // once per frame at most: a streamed answer changes the page many times a second
  if (!tbPending) { tbPending = true; requestAnimationFrame(tbGroupRadios); }
}).observe(document.documentElement, {subtree: true, childList: true});
"""

# Gradio renders after this script runs, so wait (briefly) for the parts to exist, then set them up once.
READY_JS = """
const tbWhenReady = (selector, fn) => {
  let tries = 0;
  const timer = setInterval(() => {
    const el = document.querySelector(selector);
    if (el || ++tries > 300) { clearInterval(timer); if (el) fn(el); }
  }, 100);
};
tbWhenReady('#tb-tabs [role=tablist]', (list) => {
  tbRove(list);
  new MutationObserver(() => tbRove(list))
    .observe(list, {subtree: true, childList: true, attributeFilter: ['aria-selected']});
});
tbWhenReady('#tb-convs-drawer .label-wrap', (toggle) => {
  if (window.matchMedia('PHONE_QUERY').matches && toggle.classList.contains('open')) toggle.click();
});
""".replace("PHONE_QUERY", PHONE_QUERY)

# Without a viewport tag a phone lays the page out 980 px wide and shrinks it: nothing of the phone CSS applies.
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
HEAD = VIEWPORT + f"<script>\n{TAB_KEYS_JS}{ROVING_JS}{RADIO_JS}{READY_JS}</script>"
