"""The editor page: the image on a canvas, a brush that paints the region over it, the prompt, Submit.

Like MJ's own editor, the painted layer is kept at the image's natural size; Submit turns it into a mask
(black, the painting in white) and posts `{prompt, mask}` as JSON back to the page's own address.
The page needs no outside resources; its one script runs under a per-response CSP nonce.
"""

from __future__ import annotations

import html
import json

from bot.i18n import locale_of, t

_TEXTS = ("sending", "failed", "loading")

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:960px;padding:12px;background:#1e1f22;color:#f2f3f5}
.stage{position:relative;line-height:0;margin:12px 0}
.stage canvas{width:100%;display:block}
#paint{position:absolute;inset:0;height:100%;opacity:.55;touch-action:none;cursor:crosshair}
textarea{width:100%;box-sizing:border-box;min-height:5em}
.row{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:8px 0}
button{padding:8px 16px}
#status[data-ok="0"]{color:#f23f43}
"""

_SCRIPT = """
const cfg = JSON.parse(document.getElementById("cfg").textContent);
const base = document.getElementById("base"), paint = document.getElementById("paint");
const brush = document.getElementById("brush"), status = document.getElementById("status");
const send = document.getElementById("submit"), pen = paint.getContext("2d");
let last = null;
const image = new Image();
image.onload = () => {
  for (const canvas of [base, paint]) { canvas.width = image.naturalWidth; canvas.height = image.naturalHeight; }
  base.getContext("2d").drawImage(image, 0, 0);
  status.textContent = "";
  send.disabled = false;
  document.body.dataset.ready = "1";
};
image.onerror = () => { status.textContent = cfg.text.failed; status.dataset.ok = "0"; };
image.src = cfg.image;
function at(event) {
  const box = paint.getBoundingClientRect(), scale = paint.width / box.width;
  return {x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, r: brush.value * scale / 2};
}
function dab(point) {
  pen.fillStyle = "#fff"; pen.beginPath(); pen.arc(point.x, point.y, point.r, 0, 2 * Math.PI); pen.fill();
}
function line(from, to) {
  pen.strokeStyle = "#fff"; pen.lineCap = "round"; pen.lineJoin = "round"; pen.lineWidth = 2 * to.r;
  pen.beginPath(); pen.moveTo(from.x, from.y); pen.lineTo(to.x, to.y); pen.stroke();
}
paint.addEventListener("pointerdown", (event) => { paint.setPointerCapture(event.pointerId); last = at(event); dab(last); });
paint.addEventListener("pointermove", (event) => { if (last) { const next = at(event); line(last, next); last = next; } });
for (const end of ["pointerup", "pointercancel"]) paint.addEventListener(end, () => { last = null; });
document.getElementById("clear").addEventListener("click", () => pen.clearRect(0, 0, paint.width, paint.height));
document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const mask = document.createElement("canvas");
  mask.width = paint.width; mask.height = paint.height;
  const ink = mask.getContext("2d");
  ink.fillStyle = "#000"; ink.fillRect(0, 0, mask.width, mask.height); ink.drawImage(paint, 0, 0);
  send.disabled = true; status.textContent = cfg.text.sending; delete status.dataset.ok;
  const body = JSON.stringify({prompt: document.getElementById("prompt").value, mask: mask.toDataURL("image/png")});
  try {
    const response = await fetch(location.href, {method: "POST", headers: {"Content-Type": "application/json"}, body});
    const answer = await response.json();
    status.textContent = answer.message; status.dataset.ok = answer.ok ? "1" : "0";
    send.disabled = !answer.retry;
  } catch (error) {
    status.textContent = cfg.text.failed; status.dataset.ok = "0"; send.disabled = false;
  }
});
"""


def _json_for_script(data: object) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _document(lang: str, body: str, nonce: str = "") -> str:
    title = html.escape(t(lang, "region.page.title"))
    return (
        f'<!doctype html><html lang="{locale_of(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{title}</title>'
        f'<style nonce="{nonce}">{_STYLE}</style></head><body>{body}</body></html>'
    )


def editor_page(lang: str, *, prompt: str, image_url: str, nonce: str) -> str:
    """The editor for one link, in the clicker's language."""
    config = {"image": image_url, "text": {key: t(lang, f"region.page.{key}") for key in _TEXTS}}
    text = {key: html.escape(t(lang, f"region.page.{key}")) for key in ("title", "intro", "brush", "clear")}
    body = (
        f"<h1>{text['title']}</h1><p>{text['intro']}</p>"
        '<form id="form">'
        f'<div class="row"><label for="brush">{text["brush"]}</label>'
        '<input id="brush" type="range" min="4" max="160" value="48">'
        f'<button id="clear" type="button">{text["clear"]}</button></div>'
        '<div class="stage"><canvas id="base"></canvas><canvas id="paint"></canvas></div>'
        f'<label for="prompt">{html.escape(t(lang, "region.page.prompt"))}</label>'
        f'<textarea id="prompt" maxlength="4000">{html.escape(prompt)}</textarea>'
        f'<div class="row"><button id="submit" type="submit" disabled>'
        f"{html.escape(t(lang, 'region.page.submit'))}</button>"
        f'<p id="status" role="status">{html.escape(t(lang, "region.page.loading"))}</p></div>'
        "</form>"
        f'<script id="cfg" type="application/json">{_json_for_script(config)}</script>'
        f'<script nonce="{nonce}">{_SCRIPT}</script>'
    )
    return _document(lang, body, nonce)


def message_page(lang: str, key: str) -> str:
    """A page that only says why the editor cannot open (a used, expired or forged link …)."""
    body = f'<h1>{html.escape(t(lang, "region.page.title"))}</h1><p id="status" data-ok="0">{html.escape(t(lang, key))}</p>'
    return _document(lang, body)
