"""/describe 与 /shorten 的中文文本（并入 zh_CN.MESSAGES）。"""

TEXT = {
    "cmd.describe.name": "描述",
    "cmd.describe.desc": "为一张图片写出四条可能生成它的提示词",
    "opt.image.name": "图片",
    "opt.image.desc": "要描述的图片（PNG、JPEG、WebP 或 GIF）",
    "opt.link.name": "链接",
    "opt.link.desc": "或图片的链接（http:// 或 https://）",
    "cmd.shorten.name": "缩短",
    "cmd.shorten.desc": "缩短提示词，并标出其中起作用的词",
    "opt.shorten_prompt.desc": "要缩短的提示词",
    "text.title_describe": "🖼️ **描述** {prompt} — <@{user}>",
    "text.title_shorten": "✂️ **缩短** *{prompt}* — <@{user}>",
    "text.tokens": "**重要的词**",
    "text.candidates": "**缩短后的提示词**",
    "describe.both": "请只给图片或链接中的一个。",
    "describe.neither": "请附上一张图片，或给出图片链接。",
    "describe.bad_link": "链接必须是以 http:// 或 https:// 开头的网址。",
    "shorten.empty": "提示词为空：请给出要缩短的提示词。",
    "text.line_gone": "该结果的文本已不再保存，此按钮无法使用。",
    "reason.empty_result": "API 没有为此任务返回任何文本。",
}
