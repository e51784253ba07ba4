"""What the dossier prints for the service's codes, in the reader's language (zh-CN)."""

from __future__ import annotations

PROOF_NAME = "channelguard-proof.json"
PROOF_FORMAT = "channelguard-dossier-proof/1"

STATUS_ZH = {
    "open": "待处理",
    "appealed": "申诉中",
    "confirmed": "已确认",
    "dismissed": "已驳回",
    "reversed": "已撤销",
}
KIND_ZH = {"diversion": "窜货", "cloned": "克隆码(仿冒)"}
VERDICT_ZH = {
    "in_region": "区域内",
    "in_transit": "在途(运货单覆盖)",
    "diversion": "窜货",
    "unknown": "未知码",
    "forged": "伪造",
    "cloned": "克隆码",
    "voided": "已作废",
    "unreadable": "无法识别",
}
CUSTODY_ZH = {"deliver": "公司交付", "ship": "出库", "receive": "入库"}
SIGNATURE_ZH = {"valid": "有效(签名与编码一致)", "forged": "无效(伪造)", "unknown_key": "未知密钥"}
# The notes the service itself writes, in the reader's language (people's notes stay as written).
SYSTEM_NOTE_ZH = {
    "opened by a diversion scan": "由窜货扫描自动立案",
    "opened by a cloned scan": "由克隆码扫描自动立案",
}
STEP_ZH = {
    "warning": "警告",
    "interview": "约谈",
    "deposit_deduction": "扣保证金",
    "rebate_cut": "扣减返利",
    "supply_stop": "断货",
}
CAUSE_ZH = {
    "violation_transfer": "窜货销量转移",
    "violation_fine": "罚款",
    "fine_from_deposit": "罚款(从保证金扣除)",
    "sanction_penalty": "处罚扣款",
    "sanction_from_deposit": "处罚(从保证金扣除)",
    "reversal": "冲销",
}
ACCOUNT_ZH = {
    "credited_sales": "计入销量",
    "fines": "罚款",
    "system": "公司",
    "rebates": "返利",
    "commissions": "提成",
    "deposit": "保证金",
}
