"""简体中文 (zh-CN)：动画（Animate）与延长（Extend）视频。由 zh_CN.py 合并进 MESSAGES。"""

VIDEO: dict[str, str] = {
    "video.no_start_frame": "无法从 API 获取要制作动画的图片。未提交任何任务，请稍后再试。",
    "video.too_large_link": "🎞️ 视频超过此处 {mib} MiB 的上传上限，因此未作为附件发送。可在此观看或下载：{link}",
    "video.too_large": "🎞️ 视频超过此处 {mib} MiB 的上传上限，且 API 未提供其链接。",
    "reason.video_unavailable": "尝试 {tries} 次后仍无法获取视频。",
    "reason.video_off": "API 目前无法生成视频（{description}）。需要由其管理员开启视频功能（Discord 账号还需开启 Remix）。未扣除任何额度。",
}
