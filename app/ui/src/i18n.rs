//! Every label of the UI, in one catalogue: zh-CN first, English second; and
//! times shown in the site's time zone (Asia/Shanghai unless the site says otherwise).

use chrono::{DateTime, FixedOffset, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// (key, zh-CN, English).
const CATALOGUE: &[(&str, &str, &str)] = &[
    ("app.title", "物业品质巡查", "Property patrol inspection"),
    ("lang.switch", "EN", "中文"),
    ("status.online", "在线", "Online"),
    ("status.offline", "离线", "Offline"),
    ("status.unknown", "未同步", "Not synced yet"),
    (
        "status.offline_hint",
        "连不上服务器：更改已保存在本机，恢复网络后同步",
        "The server cannot be reached: changes are kept on this device and sync when the network is back",
    ),
    ("status.pending", "待同步", "to sync"),
    ("status.last_sync", "上次同步", "Last sync"),
    ("status.never", "从未", "never"),
    ("status.sync", "同步", "Sync"),
    ("status.syncing", "同步中…", "Syncing…"),
    ("status.refused", "项被拒绝", "refused"),
    ("status.refused_document", "整份记录", "The whole record"),
    (
        "status.refused_title",
        "服务器拒绝的更改",
        "Changes the server refused",
    ),
    ("login.title", "登录", "Log in"),
    ("login.server", "服务器地址", "Server address"),
    ("login.user", "用户名", "User name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("logout", "退出", "Log out"),
    ("site.switch", "项目", "Site"),
    ("login.site", "项目编号（可选）", "Site code (optional)"),
    (
        "login.site_hint",
        "在多个项目任职时填写本设备工作的项目；不填为所属项目",
        "If you work at several sites, the one this device works at; empty: your home site",
    ),
    ("nav.ledger", "台账与报告", "Records"),
    ("reports.title", "月度品质报告", "Monthly quality reports"),
    (
        "reports.intro",
        "每月 1 日服务器自动生成上月报告并存档（打印台账链头）；任一月份也可随时生成。",
        "On the 1st the server makes and files last month's report (it prints the ledger's chain head); any month can also be made now.",
    ),
    ("reports.none", "尚无存档的月度报告", "No filed reports yet"),
    ("reports.period", "月份", "Month"),
    ("reports.made", "生成时间", "Made"),
    ("reports.files", "文件", "Files"),
    ("reports.month", "月份", "Month"),
    (
        "reports.ready",
        "月度品质报告已生成并下载",
        "The monthly report was downloaded",
    ),
    (
        "detail.notice",
        "整改通知单 (PDF)",
        "Rectification notice (PDF)",
    ),
    (
        "detail.notice_ready",
        "整改通知单已生成并下载",
        "The rectification notice was downloaded",
    ),
    ("ledger.title", "台账（变更记录）", "Ledger of changes"),
    ("sheet.title", "巡查记录表", "Patrol record sheet"),
    ("nav.surveys", "满意度", "Surveys"),
    ("nav.equipment", "设施设备", "Equipment"),
    (
        "settings.equipment_remind_days",
        "设备保养/年检提前提醒（天）",
        "Equipment due dates reminded (days ahead)",
    ),
    ("equipment.title", "设施设备台账", "Equipment register"),
    ("equipment.rate", "设施合规率", "Equipment compliance"),
    (
        "equipment.remind_lead",
        "到期提醒提前",
        "Due dates are reminded",
    ),
    ("equipment.days", "天", "days"),
    (
        "equipment.none",
        "台账中还没有设备：导入 CSV 或在下方添加。",
        "No equipment yet: import a CSV file or add it below.",
    ),
    ("equipment.code", "设备编号", "Code"),
    ("equipment.name", "设备名称", "Name"),
    ("equipment.kind", "设备类型", "Kind"),
    ("equipment.location", "位置", "Location"),
    ("equipment.checkpoint", "巡查点编码", "Checkpoint code"),
    (
        "equipment.cycle",
        "保养周期 / 上次保养",
        "Cycle / last maintained",
    ),
    (
        "equipment.cycle_days",
        "保养周期（天，0 为无）",
        "Maintenance cycle (days, 0: none)",
    ),
    ("equipment.last", "上次保养", "Last maintained"),
    ("equipment.due", "年检到期", "Inspection due"),
    ("equipment.note", "备注", "Note"),
    ("equipment.maintenance", "保养", "Maintenance"),
    ("equipment.inspection", "年检", "Inspection"),
    ("equipment.certificate", "检验合格证", "Certificate"),
    ("equipment.state", "状态", "State"),
    ("equipment.na", "不适用", "Not applicable"),
    ("equipment.valid", "有效", "Valid"),
    ("equipment.due_soon", "即将到期", "Due soon"),
    ("equipment.overdue", "已逾期", "Overdue"),
    ("equipment.compliant", "合规", "Compliant"),
    ("equipment.not_compliant", "不合规", "Not compliant"),
    ("equipment.retired", "报废", "Retired"),
    ("equipment.edit", "修改", "Edit"),
    ("equipment.maintain_today", "今日已保养", "Maintained today"),
    ("equipment.maintained", "保养已记录", "Maintenance recorded"),
    ("equipment.valid_until", "有效期至", "Valid until"),
    ("equipment.upload", "上传合格证", "Upload certificate"),
    (
        "equipment.certified",
        "合格证已上传，年检有效期已更新",
        "Certificate uploaded; the inspection is valid until the new date",
    ),
    ("equipment.pick_file", "请先选择文件", "Pick a file first"),
    (
        "equipment.pick_due",
        "请填写新的有效期",
        "Enter the date the certificate is valid until",
    ),
    (
        "equipment.pick_kind",
        "请选择设备类型",
        "Pick the kind of equipment",
    ),
    (
        "equipment.bad_date",
        "日期格式应为 2026-12-31",
        "Dates are written 2026-12-31",
    ),
    (
        "equipment.bad_cycle",
        "保养周期应为天数",
        "The cycle is a number of days",
    ),
    (
        "equipment.export",
        "导出台账 (CSV)",
        "Export register (CSV)",
    ),
    (
        "equipment.import_file",
        "台账 CSV 文件",
        "Register CSV file",
    ),
    ("equipment.import", "导入", "Import"),
    ("equipment.added", "新增", "added"),
    ("equipment.updated", "更新", "updated"),
    ("equipment.unchanged", "未变", "unchanged"),
    (
        "equipment.form",
        "添加或修改设备",
        "Add or change equipment",
    ),
    ("equipment.save", "保存", "Save"),
    ("equipment.saved", "设备已保存", "Equipment saved"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    (
        "analytics.satisfaction",
        "住户满意度（按服务维度）",
        "Residents' satisfaction by dimension",
    ),
    (
        "analytics.satisfaction_months",
        "近六个月净推荐值与满意度指数",
        "NPS and CSI, last six months",
    ),
    ("analytics.answers", "份", "answers"),
    ("analytics.dimension", "服务维度", "Dimension"),
    ("analytics.mean", "平均分", "Mean score"),
    ("analytics.low_scores", "低分(1-2)", "Scored 1–2"),
    ("analytics.month", "月份", "Month"),
    (
        "settings.csi_weights",
        "满意度指数权重（0–10）",
        "CSI weights (0–10)",
    ),
    ("survey.title", "满意度调查", "Satisfaction survey"),
    ("survey.source", "来源", "Source"),
    ("survey.callback", "回访", "Call-back"),
    ("survey.periodic", "定期调查", "Periodic survey"),
    (
        "survey.respondent",
        "受访住户（楼栋-单元-房号）",
        "Respondent (building-unit-room)",
    ),
    ("survey.contact", "联系电话（可选）", "Phone (optional)"),
    (
        "survey.nps",
        "推荐意愿：您会向亲友推荐我们的物业服务吗？（0–10 分）",
        "Would you recommend us to friends? (0–10)",
    ),
    ("survey.not_asked", "未问", "Not asked"),
    (
        "survey.scores",
        "服务评分（1–5 分）",
        "Service scores (1–5)",
    ),
    ("survey.comment", "住户意见", "Comments"),
    ("survey.submit", "记录调查", "Record"),
    ("survey.saved", "调查已记录", "The survey was recorded"),
    (
        "survey.saved_offline",
        "调查已保存在本机，联网同步后上传",
        "Saved on this device; it is sent at the next sync",
    ),
    (
        "survey.followed_up",
        "调查已记录：低分已转二次处理工单",
        "Recorded: the low score opened a follow-up case",
    ),
    ("survey.list", "本月调查", "This month"),
    ("survey.none", "本月还没有调查记录", "No surveys this month"),
    ("survey.follow_up", "二次处理", "Follow-up"),
    ("survey.pending", "待上传", "Not sent yet"),
    ("survey.when", "时间", "When"),
    ("sheet.date", "日期", "Day"),
    ("sheet.route", "路线", "Route"),
    ("sheet.inspector", "巡查人", "Inspector"),
    ("sheet.all", "全部", "All"),
    (
        "sheet.ready",
        "巡查记录表已生成并下载",
        "The patrol record sheet was downloaded",
    ),
    (
        "ledger.intro",
        "服务器接受的每一项变更（问题处理、巡查结果、计划与人员、根因分析）按接收顺序记入本项目的哈希链：任何一条在写入后被改动、删除或调换，校验都会指出第一条不符的记录。",
        "Every change the server accepted (issue steps, patrol results, plan and people, root causes) enters this site's hash chain in the order received: if any entry is edited, removed or reordered afterwards, verifying names the first one that does not match.",
    ),
    (
        "ledger.export",
        "按日期导出（含哈希）",
        "Export by day (with hashes)",
    ),
    ("ledger.verify", "校验哈希链", "Verify the hash chain"),
    ("ledger.whole", "哈希链完整", "The chain is whole"),
    ("ledger.entries", "条记录", "entries"),
    ("ledger.head", "链头", "Head"),
    ("site.switched", "已切换到", "Now working at"),
    ("nav.tasks", "今日任务", "Today's tasks"),
    ("nav.issues", "问题", "Issues"),
    ("nav.mine_raised", "我提交的问题", "Issues I raised"),
    ("nav.orders", "我的整改单", "My orders"),
    ("nav.back", "返回", "Back"),
    ("nav.patrols", "巡查记录", "Patrols"),
    ("nav.plan", "站点设置", "Site plan"),
    ("nav.coverage", "覆盖率", "Coverage"),
    ("nav.analytics", "分析", "Analysis"),
    ("analytics.title", "品质分析", "Quality analysis"),
    ("analytics.period", "月份", "Month"),
    ("analytics.span", "统计周期", "Period"),
    ("analytics.span_month", "按月", "Month"),
    ("analytics.span_week", "按周", "Week"),
    ("analytics.span_day", "按日", "Day"),
    ("analytics.span_range", "自定义范围", "Date range"),
    ("analytics.by", "分组", "Break down by"),
    ("analytics.by_none", "不分组", "No breakdown"),
    ("analytics.by_zone", "区域", "Zone"),
    ("analytics.by_route", "路线", "Route"),
    ("analytics.by_category", "问题类别", "Category"),
    ("analytics.by_grade", "问题等级", "Grade"),
    ("analytics.by_department", "责任部门", "Department"),
    ("analytics.by_inspector", "巡查员", "Inspector"),
    ("analytics.by_assignee", "责任人", "Assignee"),
    ("analytics.previous", "上期", "Previous"),
    ("analytics.backlog_age", "逾期账龄", "Overdue by age"),
    ("analytics.activity", "巡查活动", "Patrol activity"),
    ("analytics.rounds", "巡查轮次", "rounds"),
    ("analytics.checkpoints", "检查点位", "checkpoints"),
    ("analytics.findings", "发现问题", "findings"),
    ("analytics.dwell", "停留时长分布", "Dwell times"),
    ("analytics.numbers", "数据表", "The numbers"),
    ("analytics.trend", "周趋势", "Weekly trend"),
    ("analytics.findings_week", "发现问题数", "Findings"),
    ("analytics.week", "周", "Week"),
    ("analytics.pareto", "问题类别排列图", "Categories (Pareto)"),
    ("analytics.issues", "个问题", "issues"),
    ("analytics.cumulative", "累计占比", "Cumulative share"),
    ("analytics.total", "合计", "Total"),
    (
        "analytics.hot_spots",
        "点位热点图",
        "Hot spots on the site plan",
    ),
    (
        "analytics.no_issues",
        "本期没有问题",
        "No issues in this period",
    ),
    (
        "analytics.no_plan_xy",
        "点位没有平面坐标（在点位表的 x、y 列填写）",
        "No checkpoint has plan coordinates (the x and y columns of the checkpoint file)",
    ),
    ("analytics.zone_hours", "区域 × 时段", "Zone × hour of day"),
    (
        "analytics.weekday_hours",
        "星期 × 时段",
        "Weekday × hour of day",
    ),
    ("analytics.league", "部门排名", "Departments side by side"),
    ("analytics.unassigned", "未派单", "Not assigned"),
    (
        "analytics.sites",
        "项目对比（集团）",
        "Sites side by side (group)",
    ),
    ("analytics.site", "项目", "Site"),
    ("analytics.open_site", "进入该项目", "Open this site"),
    ("analytics.behind", "指标明细", "The issues behind a figure"),
    ("analytics.raised", "新增问题", "Issues raised"),
    ("analytics.part_denominator", "全部计入", "all counted"),
    ("analytics.part_numerator", "达标部分", "the numerator"),
    (
        "analytics.part_rest",
        "未达标部分",
        "counted, not in the numerator",
    ),
    ("analytics.weekday", "星期", "Weekday"),
    ("analytics.none", "（无）", "(none)"),
    ("weekday.1", "周一", "Mon"),
    ("weekday.2", "周二", "Tue"),
    ("weekday.3", "周三", "Wed"),
    ("weekday.4", "周四", "Thu"),
    ("weekday.5", "周五", "Fri"),
    ("weekday.6", "周六", "Sat"),
    ("weekday.7", "周日", "Sun"),
    ("complaint.new", "登记投诉", "New complaint"),
    ("complaint.badge", "投诉", "Complaint"),
    ("complaint.sla", "服务时限", "Service level"),
    ("complaint.urgency", "紧急程度", "Urgency"),
    ("sla.respond", "派单响应", "Dispatch within"),
    ("sla.resolve", "解决时限", "Resolve within"),
    ("sla.respond_by", "响应时限", "Respond by"),
    ("sla.resolve_by", "解决时限", "Resolve by"),
    ("sla.met", "已按时响应", "answered in time"),
    ("sla.late", "响应超时", "answered late"),
    ("sla.left", "剩余", "left"),
    ("sla.over", "已超时", "over by"),
    ("complaint.category", "投诉类型", "Kind"),
    ("complaint.zone", "区域（可选）", "Zone (optional)"),
    ("complaint.location", "位置", "Location"),
    ("complaint.contact", "联系人及电话", "Contact and phone"),
    ("complaint.submit", "提交投诉", "Submit complaint"),
    ("callback.title", "回访", "Call-back"),
    ("callback.note", "回访记录", "Call-back notes"),
    ("callback.satisfied", "满意", "Satisfied"),
    (
        "callback.unsatisfied",
        "不满意（重新处理）",
        "Not satisfied (reopen)",
    ),
    ("issues.source", "来源", "Source"),
    ("issues.source_patrol", "巡查", "Patrol"),
    ("users.title", "用户", "Users"),
    ("users.role", "角色", "Role"),
    ("users.department", "部门", "Department"),
    ("users.disabled", "已停用", "disabled"),
    ("users.disable", "停用", "Disable"),
    ("users.add", "添加用户", "Add a user"),
    ("users.submit", "添加", "Add"),
    ("repeat.badge", "重复问题", "Repeat"),
    (
        "repeat.after_verified",
        "验收后复发",
        "Recurred after verification",
    ),
    (
        "repeat.earlier",
        "此前同一点位同类问题",
        "Earlier at this checkpoint, same category",
    ),
    ("rca.title", "根因分析", "Root-cause analysis"),
    ("rca.why", "为什么", "Why"),
    ("rca.cause", "原因分类", "Cause"),
    ("rca.action", "纠正措施", "Corrective action"),
    ("rca.owner", "负责人", "Owner"),
    ("rca.due", "完成日期", "Due"),
    ("rca.save", "保存根因分析", "Save analysis"),
    ("rca.saved", "根因分析已保存", "Analysis saved"),
    ("rca.issues", "关联问题", "Linked issues"),
    ("rca.due_missing", "请选择完成日期", "choose the due date"),
    (
        "rca.action_missing",
        "请写明要做什么",
        "say what is to be done",
    ),
    (
        "rca.why_missing",
        "请至少写一条“为什么”",
        "Give at least one why",
    ),
    ("rca.done_by", "完成人", "done by"),
    ("rca.checked_by", "确认人", "checked by"),
    ("rca.mark_done", "标记完成", "Mark done"),
    ("rca.mark_checked", "确认有效完成", "Check it"),
    ("rca.analysis_due", "分析期限", "Analysis due"),
    ("rca.actions", "纠正措施", "Corrective actions"),
    (
        "rca.recurred",
        "关闭后复发次数",
        "Recurrences after closing",
    ),
    ("rca.write", "填写根因分析", "Write the analysis"),
    ("rca.edit", "修改分析与措施", "Edit the analysis"),
    ("rca.add_action", "添加措施", "Add an action"),
    ("rca.none", "暂无根因分析记录", "No root-cause records"),
    ("rca.open_actions", "未完成措施", "Open actions"),
    ("nav.rca", "根因分析", "Root causes"),
    ("nav.callbacks", "回访队列", "Call-backs"),
    ("adhoc.title", "发起应急巡查", "Launch a one-off patrol"),
    ("adhoc.name", "巡查事由", "What it is for"),
    (
        "adhoc.name_hint",
        "如：台风前防汛检查",
        "e.g. flood check before the typhoon",
    ),
    ("adhoc.zone", "区域", "Zone"),
    (
        "adhoc.chosen_points",
        "按下方勾选的点位",
        "The points ticked below",
    ),
    ("adhoc.points", "选择点位", "Choose points"),
    ("adhoc.inspectors", "巡查员", "Inspectors"),
    ("adhoc.from", "开始", "From"),
    ("adhoc.until", "结束", "Until"),
    ("adhoc.submit", "发起巡查", "Launch"),
    (
        "adhoc.launched",
        "已发起，巡查员下次同步时收到",
        "Launched; inspectors get it at their next sync",
    ),
    ("adhoc.points_count", "个点位", "points"),
    (
        "adhoc.bad_window",
        "请填写开始和结束时间",
        "Enter when it starts and ends",
    ),
    ("plan.unscheduled", "从未排班", "Never scheduled"),
    (
        "plan.sla_file",
        "投诉时限 (sla.csv)",
        "Complaint service levels (sla.csv)",
    ),
    ("plan.export_sla", "导出投诉时限", "Export service levels"),
    (
        "settings.title",
        "提醒与时限设置",
        "Reminders and service levels",
    ),
    (
        "settings.remind_hours",
        "截止前提醒（小时）",
        "Remind before a deadline (hours)",
    ),
    (
        "settings.verify_hours",
        "待验收提醒（小时）",
        "Waiting for verification (hours)",
    ),
    (
        "settings.callback_hours",
        "待回访提醒（小时）",
        "Waiting for the call-back (hours)",
    ),
    (
        "settings.root_cause_days",
        "根因分析期限（天）",
        "Root-cause analysis due in (days)",
    ),
    (
        "settings.repeat_days",
        "重复问题判定窗口（天）",
        "Repeat window (days)",
    ),
    (
        "settings.sla",
        "投诉时限（按类型与紧急程度）",
        "Complaint service levels (kind × urgency)",
    ),
    (
        "settings.respond_minutes",
        "派单响应（分钟）",
        "Dispatch within (minutes)",
    ),
    (
        "settings.resolve_hours",
        "解决时限（小时）",
        "Resolve within (hours)",
    ),
    ("settings.save", "保存设置", "Save settings"),
    (
        "settings.departments",
        "问题类型默认责任部门",
        "Default department by category",
    ),
    ("assign.others", "其他人员", "Others"),
    (
        "settings.saved",
        "设置已保存，设备下次同步时生效",
        "Saved; devices get it at their next sync",
    ),
    (
        "settings.whole_numbers",
        "请填写整数",
        "enter whole numbers",
    ),
    ("plan.scheduled_by", "排班", "Schedules"),
    (
        "plan.new_default_schedules",
        "按频率新建的计划",
        "Default schedules made from frequencies",
    ),
    (
        "plan.sla_cells",
        "投诉时限已更新",
        "Complaint service-level cells set",
    ),
    (
        "callbacks.hint",
        "已验收的投诉，等待回访业主",
        "Verified complaints waiting for the call-back to the resident",
    ),
    ("callbacks.waiting", "待回访", "Call-back due"),
    ("callbacks.for", "已等待", "waiting"),
    ("notes.bell", "提醒", "Alerts"),
    ("notes.title", "提醒与升级", "Reminders and escalations"),
    ("notes.none", "没有提醒", "No reminders"),
    ("notes.new", "新", "new"),
    ("notes.deadline", "期限", "deadline"),
    ("coverage.title", "巡查覆盖率", "Patrol coverage"),
    ("coverage.from", "从", "From"),
    ("coverage.to", "至", "To"),
    ("coverage.show", "查看", "Show"),
    ("coverage.total", "合计", "Total"),
    ("coverage.done_due", "已查/应查", "Checked/due"),
    ("coverage.by_route", "按路线", "By route"),
    ("coverage.by_zone", "按区域", "By zone"),
    ("coverage.by_inspector", "按巡查员", "By inspector"),
    ("coverage.nobody", "未指派", "Unassigned"),
    ("coverage.tasks", "任务", "Tasks"),
    ("coverage.missing", "未查点位", "Not checked"),
    ("coverage.not_yet_open", "未开始", "not open yet"),
    ("coverage.in_progress", "进行中", "in progress"),
    ("coverage.missed", "有漏检", "missed"),
    ("coverage.complete", "已完成", "complete"),
    ("draw.title", "双随机抽查", "Double-random spot checks"),
    ("draw.n", "抽取点位数", "Checkpoints to draw"),
    ("draw.all_zones", "全部区域", "All zones"),
    ("draw.from", "开始时间", "Window opens"),
    ("draw.hours", "时长（小时）", "Window (hours)"),
    ("draw.submit", "抽取", "Draw"),
    ("draw.seed", "种子", "seed"),
    ("draw.inspector", "巡查员", "inspector"),
    ("draw.replay", "复核", "Replay"),
    (
        "draw.replays",
        "✓ 按记录的种子重抽结果一致",
        "✓ Drawing again from the recorded seed gives the same result",
    ),
    (
        "draw.differs",
        "✗ 重抽结果与记录不符",
        "✗ Drawing again differs from the record",
    ),
    ("tasks.spot_check", "双随机抽查", "Spot check"),
    ("tasks.adhoc", "应急巡查", "One-off patrol"),
    ("tasks.window_open", "进行中", "open"),
    ("tasks.window_overdue", "已超时", "overdue"),
    ("tasks.window_later", "未开始", "later"),
    ("tasks.window_done", "已完成", "done"),
    ("sched.title", "巡查计划", "Schedules"),
    ("sched.target", "对象", "Covers"),
    ("sched.repeat", "频率", "Repeat"),
    ("sched.window", "时段", "Window"),
    ("sched.seasons", "季节调整", "Seasons"),
    ("sched.assignee", "指派", "Assignee"),
    ("sched.any", "任意巡查员", "any inspector"),
    ("sched.all_day", "全天", "all day"),
    ("sched.add", "添加或更新计划", "Add or update a schedule"),
    (
        "sched.checkpoints",
        "或点位（逗号分隔）",
        "or checkpoints (comma-separated)",
    ),
    (
        "sched.repeat_hint",
        "daily / weekly / monthly / mon,wed,fri",
        "daily / weekly / monthly / mon,wed,fri",
    ),
    (
        "sched.window_hint",
        "如 22:00-02:00，空为全天",
        "e.g. 22:00-02:00; empty: all day",
    ),
    (
        "sched.season_hint",
        "如 雨季:06-01..09-30:daily",
        "e.g. rainy:06-01..09-30:daily",
    ),
    ("sched.submit", "保存计划", "Save schedule"),
    ("sched.remove", "删除", "Remove"),
    ("sched.saved", "计划已保存", "Schedule saved"),
    ("sched.removed", "已删除排班", "Schedule removed"),
    ("plan.title", "站点设置", "Site plan"),
    ("plan.import", "从表格导入", "Import from spreadsheets"),
    (
        "plan.import_hint",
        "CSV 文件（UTF-8），表头可用中文或英文；有一行出错则全部不导入",
        "CSV files (UTF-8) with Chinese or English headers; one bad row and nothing is imported",
    ),
    ("plan.checklists_file", "检查表文件", "Checklists file"),
    ("plan.checkpoints_file", "点位文件", "Checkpoints file"),
    ("plan.import_submit", "导入", "Import"),
    (
        "plan.pick_files",
        "请先选择要导入的文件",
        "Pick the files to import first",
    ),
    ("plan.imported", "已导入", "Imported"),
    ("plan.new_checklists", "新检查表", "New checklists"),
    ("plan.new_versions", "新版本", "New versions"),
    (
        "plan.points_counts",
        "点位 新增/更新/不变",
        "Checkpoints new/updated/unchanged",
    ),
    ("plan.new_zones", "新区域", "New zones"),
    ("plan.new_routes", "新路线", "New routes"),
    (
        "plan.nothing_imported",
        "有错误，未导入任何内容",
        "Errors: nothing was imported",
    ),
    ("plan.export_checkpoints", "导出点位", "Export checkpoints"),
    ("plan.export_checklists", "导出检查表", "Export checklists"),
    ("plan.qr", "二维码标签", "QR labels"),
    ("plan.print", "打印", "Print"),
    ("plan.routes", "路线", "Routes"),
    ("plan.checkpoints", "点位", "Checkpoints"),
    ("plan.checklists", "检查表", "Checklists"),
    ("plan.code", "编码", "Code"),
    ("plan.name", "名称", "Name"),
    ("plan.points", "点位数", "Points"),
    ("plan.walk", "步行距离", "Walk"),
    ("plan.order", "优化顺序", "Order for a short walk"),
    ("plan.ordered", "路线已重新排序：", "Route reordered:"),
    ("plan.zone", "区域", "Zone"),
    ("plan.checklist", "检查表", "Checklist"),
    ("plan.frequency", "频率", "Frequency"),
    ("plan.version", "版本", "Version"),
    ("plan.items", "检查项", "Items"),
    (
        "patrols.title",
        "近 7 天巡查记录",
        "Patrols of the last 7 days",
    ),
    (
        "patrols.none",
        "近 7 天没有巡查记录",
        "No patrols in the last 7 days",
    ),
    ("patrols.open", "进行中", "in progress"),
    ("patrols.failed", "项不合格", "failed"),
    ("patrols.failed_items", "不合格", "Failed"),
    ("patrols.skipped", "漏检点位", "Checkpoints skipped"),
    (
        "patrols.no_presence",
        "条无到场证据",
        "without presence evidence",
    ),
    ("patrols.device_time", "设备时间", "Device time"),
    ("patrols.server_time", "服务器接收", "Server receipt"),
    ("patrols.presence", "到场证据", "Presence"),
    ("patrols.result", "结果", "Result"),
    ("patrols.all_pass", "全部合格", "all passed"),
    ("presence.typed", "输入点位码", "Code typed"),
    ("presence.scanned", "扫码", "Code scanned"),
    ("presence.dwell", "停留", "dwell"),
    ("presence.seconds", "秒", "s"),
    ("presence.dwell_unknown", "停留时间未知", "dwell unknown"),
    ("presence.wrong_code", "点位码不符", "Wrong point code"),
    ("presence.missing", "无到场证据", "No presence evidence"),
    ("tasks.title", "今日巡查任务", "Today's patrol tasks"),
    ("tasks.start", "开始巡查", "Start patrol"),
    ("tasks.continue", "继续巡查", "Continue"),
    ("tasks.done_today", "今日已完成", "done today"),
    (
        "tasks.app_only",
        "巡查在平板或手机上的应用中进行。",
        "Patrols are walked in the app on a tablet or phone.",
    ),
    ("walk.progress", "进度", "Progress"),
    ("walk.finish", "结束巡查", "Finish patrol"),
    ("walk.checked", "已检查", "checked"),
    ("walk.failed", "不合格", "failed"),
    (
        "cp.presence",
        "确认到位：输入点位编码",
        "Confirm presence: enter the point code",
    ),
    (
        "cp.presence_hint",
        "扫描或输入现场标签上的编码",
        "Scan or type the code on the label",
    ),
    ("cp.confirm", "确认", "Confirm"),
    ("cp.present", "已到位", "Present"),
    (
        "cp.wrong_code",
        "编码与该点位不符",
        "The code does not match this checkpoint",
    ),
    ("cp.pass", "合格", "Pass"),
    ("cp.fail", "不合格", "Fail"),
    ("cp.na", "不适用", "N/A"),
    ("cp.limits", "范围", "Limits"),
    ("cp.save", "保存", "Save"),
    (
        "cp.unanswered",
        "还有未填写的项目",
        "Some items are not answered",
    ),
    ("raise.title", "登记问题", "Record an issue"),
    ("raise.item", "不合格项", "Failed item"),
    ("raise.category", "问题类型", "Category"),
    ("raise.grade", "整改等级", "Grade"),
    ("raise.summary", "标题", "Title"),
    ("raise.description", "描述", "Description"),
    ("raise.photo", "添加照片", "Add photo"),
    ("raise.save", "保存问题", "Save issue"),
    ("raise.skip", "跳过", "Skip"),
    ("raise.failed_suffix", "不合格", "failed"),
    ("issues.title", "问题列表", "Issues"),
    ("issues.empty", "没有问题", "No issues"),
    ("issues.all", "全部", "All"),
    ("issues.overdue", "逾期", "Overdue"),
    ("issues.zone", "区域", "Zone"),
    ("issues.category", "类型", "Category"),
    ("issues.grade", "等级", "Grade"),
    ("issues.status", "状态", "Status"),
    ("issues.assignee", "责任人", "Assignee"),
    ("issues.deadline", "期限", "Deadline"),
    ("issues.raised", "登记", "Raised"),
    ("detail.photos_before", "现场照片", "Photos of the problem"),
    ("detail.photos_after", "整改后照片", "Photos of the fix"),
    ("detail.not_uploaded", "照片未上传", "not uploaded yet"),
    ("detail.timeline", "处理记录", "Timeline"),
    ("detail.device_time", "设备时间", "Device time"),
    ("detail.server_time", "服务器时间", "Server time"),
    ("detail.not_received", "未送达", "not received yet"),
    ("detail.refused", "被拒绝", "Refused"),
    ("detail.conflict", "冲突", "Conflict"),
    ("detail.conflicts", "并发修改冲突", "Concurrent changes"),
    ("detail.chosen", "采用", "chosen"),
    ("detail.description", "描述", "Description"),
    (
        "detail.failed_item",
        "不合格检查项",
        "Failed checklist item",
    ),
    ("assign.title", "派单", "Assign"),
    ("assign.department", "责任部门", "Department"),
    ("assign.person", "责任人", "Person"),
    ("assign.deadline", "整改期限", "Deadline"),
    ("assign.submit", "派单", "Assign"),
    (
        "assign.bad_deadline",
        "请填写整改期限（日期和时间）",
        "Enter the deadline (date and time)",
    ),
    ("deadline.extended", "延后", "extended by"),
    ("deadline.shortened", "缩短", "shortened by"),
    ("rectify.title", "整改反馈", "Record the fix"),
    ("rectify.note", "整改说明", "What was done"),
    ("rectify.photo", "整改后照片", "Photo of the fix"),
    ("rectify.submit", "提交整改", "Submit"),
    ("verify.title", "复查", "Verify"),
    ("verify.note", "复查意见", "Note"),
    ("verify.accept", "复查合格", "Accept"),
    ("verify.reject", "退回整改", "Reject"),
    ("comment.title", "备注", "Comment"),
    ("comment.submit", "添加备注", "Add comment"),
    ("saved", "已保存", "Saved"),
    ("cancel", "取消", "Cancel"),
    (
        "confirm.reject_without_note",
        "没有填写复查意见就退回整改？整改人员将看不到退回原因。",
        "Reject without a note? The person fixing it will not see why.",
    ),
    (
        "confirm.deadline_past",
        "整改期限早于现在，问题将立即逾期。确定吗？",
        "The deadline is in the past: the issue will be overdue at once. Go ahead?",
    ),
    (
        "confirm.remove_schedule",
        "删除这个巡查计划？它的任务将不再出现。",
        "Delete this schedule? Its tasks will no longer appear.",
    ),
    (
        "confirm.disable_user",
        "停用该用户？其所有设备将立即退出登录。",
        "Disable this user? All their devices are logged out at once.",
    ),
    ("users.enable", "启用", "Enable"),
    ("plan.order_preview", "优化后的巡查顺序", "The shorter walk"),
    ("plan.order_apply", "应用新顺序", "Use this order"),
    ("plan.saved_m", "缩短", "shorter by"),
    (
        "plan.qr_new",
        "打印新点位的二维码标签",
        "Print the new points' labels",
    ),
    (
        "plan.qr_chosen",
        "打印勾选点位的标签",
        "Print the ticked points' labels",
    ),
    (
        "plan.qr_pick",
        "请先在点位表中勾选要打印的点位",
        "Tick the points to print in the table first",
    ),
    ("plan.print_label", "打印", "Print"),
    ("plan.actions", "操作", "Actions"),
    ("filters.title", "筛选", "Filters"),
    ("photo.alt_before", "现场照片", "Photo of the problem"),
    ("photo.alt_after", "整改后照片", "Photo of the fix"),
    ("photo.close", "关闭", "Close"),
    (
        "sched.pick_days",
        "请勾选每周哪几天巡查",
        "Tick the weekdays",
    ),
    (
        "sched.both_times",
        "时段请同时填写开始和结束时间（留空为全天）",
        "Give both times of the window, or neither for all day",
    ),
    ("sched.name_hint", "如：夜间巡查", "e.g. Night patrol"),
    (
        "sched.points_below",
        "按下方勾选的点位",
        "The points ticked below",
    ),
    ("sched.from_time", "开始时间", "From"),
    ("sched.until_time", "结束时间", "Until"),
    (
        "sched.window_help",
        "不填为全天；结束早于开始表示跨过午夜（如 22:00–02:00）",
        "Leave empty for all day; an end before the start runs past midnight (22:00–02:00)",
    ),
    ("sched.season_name", "季节名称", "Season"),
    ("sched.season_name_hint", "如：雨季", "e.g. rainy season"),
    ("sched.season_from", "开始", "From"),
    ("sched.season_until", "结束", "Until"),
    ("sched.month", "月", "month"),
    ("sched.day", "日", "day"),
    ("sched.add_season", "添加季节", "Add a season"),
    ("error", "出错", "Error"),
    ("loading", "加载中…", "Loading…"),
];

/// The label for `key` in `lang`; an unknown key shows itself, so gaps are visible.
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    CATALOGUE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
        .unwrap_or(key)
}

/// One bad row of an import, where it is and what is wrong, in the person's language.
pub fn line_error(lang: Lang, e: &shared::wire::LineError) -> String {
    match lang {
        Lang::En => e.to_string(),
        Lang::Zh => {
            let mut out = e.file.clone();
            if e.line > 0 {
                out.push_str(&format!(" 第 {} 行", e.line));
            }
            if let Some(c) = &e.column {
                out.push_str(&format!("，“{c}”列"));
            }
            let message = if e.message_zh.is_empty() {
                &e.message
            } else {
                &e.message_zh
            };
            out.push_str(&format!("：{message}"));
            out
        }
    }
}

/// What an error means for the person, in their language, with what to do:
/// known codes (from the server or the device) have their own sentence; other
/// refusals name what was refused.
pub fn error_text(lang: Lang, code: &str, message: &str, message_zh: &str) -> String {
    if lang == Lang::Zh && !message_zh.is_empty() {
        return message_zh.to_string();
    }
    let (zh, en): (&str, &str) = match code {
        "unauthorized" => (
            "用户名或密码不对，或登录已失效：请重新登录",
            "Wrong user name or password, or the login expired: log in again",
        ),
        "not_logged_in" => ("请先登录", "Log in first"),
        "unknown_route" => (
            "没有这条路线：请同步后再试",
            "No such route: sync and try again",
        ),
        "unknown_item" => (
            "该点位的检查表里没有这一项：请同步后再试",
            "The checkpoint's checklist has no such item: sync and try again",
        ),
        "unknown_user" => (
            "没有这个人员：请同步后再选",
            "No such person: sync and choose again",
        ),
        "unknown_issue" => (
            "本机没有这个问题：请同步后再看",
            "This device does not have that issue: sync and look again",
        ),
        "bad_text" => (
            "请填写必填内容，且不要超过长度限制",
            "Fill in what is required, within the length limit",
        ),
        "bad_photo" => (
            "这张照片无法读取：请重新拍摄或换一张",
            "The photo cannot be read: take it again or choose another",
        ),
        "unknown_photo" => (
            "本机找不到这张照片：请重新添加",
            "This device does not have that photo: add it again",
        ),
        "storage" => (
            "本机存储出错（可能空间不足）：请清理空间后重试，已保存的记录不会丢失",
            "The device's storage failed (it may be full): free some space and try again; what was saved is kept",
        ),
        "damaged" => (
            "本机的这条记录无法读取：请同步，服务器上的副本会恢复它",
            "This record cannot be read on the device: sync, and the server's copy restores it",
        ),
        "sync" => (
            "同步没有完成：稍后会自动重试，记录都保存在本机",
            "Sync did not finish: it retries by itself, and everything is kept on the device",
        ),
        "bad_credentials" => (
            "用户名或密码不对，或账号已停用：请核对后重试",
            "Wrong user name or password, or the account is disabled: check and try again",
        ),
        "exists" => (
            "已有同名的记录：请换一个编码或名称",
            "One with that name already exists: choose another code or name",
        ),
        "too_large" => (
            "内容太大：请缩小照片或分几次提交",
            "Too large: make the photo smaller or send it in parts",
        ),
        "too_many_attempts" => (
            "登录失败次数过多：请 15 分钟后再试，或请管理员重置密码",
            "Too many failed logins: try again in 15 minutes, or ask an admin to reset the password",
        ),
        "role_forbidden" | "forbidden" => (
            "您的角色不能进行此操作；如需办理，请联系品质经理",
            "Your role may not do this; ask a quality manager",
        ),
        "not_found" => (
            "找不到该记录（可能已删除，或属于其他项目）",
            "Not found (deleted, or another site's)",
        ),
        "actor_taken" => (
            "此设备的签名已属于另一个账号：请退出后重新登录",
            "This device's signature belongs to another account: log out and in again",
        ),
        "offline" | "unavailable" | "unreachable" => (
            "连不上服务器：请检查网络后重试",
            "The server cannot be reached: check the network and try again",
        ),
        "illegal_transition" | "concurrent_transition" => (
            "问题的状态已变化，不能进行此操作：请刷新后再看",
            "The issue has moved on; this step no longer applies: refresh and look again",
        ),
        "self_verify" => (
            "整改人不能验收自己的整改：请由其他人验收",
            "Whoever recorded the fix may not verify it: ask someone else",
        ),
        "not_a_complaint" => ("只有投诉需要回访", "Only complaints get a call-back"),
        "wrong_point_code" => (
            "点位码不符：请核对现场标签上的编码",
            "Wrong point code: check the label on site",
        ),
        "unknown_checkpoint" => (
            "没有这个点位码：请核对标签",
            "No such point code: check the label",
        ),
        "not_on_route" => ("该点位不在本路线上", "This checkpoint is not on the route"),
        "missing_item" => (
            "还有检查项没有填写：每一项都要选择或填写读数",
            "Some items are not answered: answer every item",
        ),
        "bad_answer" => (
            "答案无效：读数请填写数字",
            "Not an answer: readings are numbers",
        ),
        "patrol_open" => (
            "已有进行中的巡查：请先完成它",
            "A patrol is already open: finish it first",
        ),
        "no_open_patrol" => ("没有进行中的巡查", "No patrol is open"),
        "no_plan" => (
            "本机还没有站点计划：请联网同步一次",
            "This device has no site plan yet: sync once online",
        ),
        "contact_mismatch" | "contact_kept" => (
            "联系人与投诉登记时不一致",
            "The contact does not match the complaint's",
        ),
        _ => {
            return match lang {
                // A Chinese page shows no English: a known kind of refusal has
                // its own sentence, anything else a general one.
                Lang::Zh => zh_refusal(code).to_string(),
                Lang::En if message.is_empty() => "Not done".to_string(),
                Lang::En => format!("Not done: {message}"),
            };
        }
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// The Chinese sentence for a refusal whose English sentence carries the
/// detail, when the backend sent no Chinese one.
fn zh_refusal(code: &str) -> &'static str {
    match code {
        "invalid" => "填写的内容有误：请检查后重试",
        "bad_rows" => "文件中有错误的行，均未导入：请改正后重新导入",
        "not_here" => "这项操作不适用于当前对象：请刷新后再看",
        "unsynced" => "还有记录没有同步：请联网同步后再操作",
        "too_many_photos" => "照片太多：请删去几张后再提交",
        "already_raised" => "这个问题已经登记过了",
        "before_raise" => "记录的时间早于问题登记时间：请核对本机时间",
        "bad_cursor" | "bad_filter" | "bad_query" | "bad_offset" | "bad_id" | "bad_hash"
        | "bad_request" | "bad_body" | "malformed" | "bad_reply" | "http" => {
            "请求无法处理：请刷新页面后重试；如仍不行，请联系管理员"
        }
        "client_outdated" => "应用版本过旧：请更新后再同步",
        "contact_unmasked" => "联系人电话只能以脱敏形式提交",
        "forbidden_site" => "这是其他项目的数据，您无权查看或修改",
        "hash_mismatch" | "offset_mismatch" | "total_mismatch" => "照片上传不完整：会自动重新上传",
        "photo_not_uploaded" => "照片还没有上传完成：请同步后再试",
        "photo_too_large" => "照片太大：请缩小后再上传",
        "photo_unknown" => "服务器上没有这张照片：请在拍摄它的设备上同步",
        "not_a_photo" => "这个文件不是可识别的照片：请换一张 JPEG 或 PNG 照片",
        "internal" => "服务器暂时无法完成：请稍后重试",
        "app_only" => "巡查、拍照和离线工作请在平板或手机上的应用中进行",
        "plan_read_only" => "站点计划只能在服务器上修改（仪表盘的站点设置）",
        _ => "未能完成：请稍后重试；如仍不行，请联系管理员",
    }
}

/// The current time from the browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn offset_of(utc_offset_minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(utc_offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(8 * 3600).expect("+08:00"))
}

/// The parts of a time in the site's zone: year, month, day, hour, minute, second.
/// (Written out rather than through chrono's format strings, which weigh a lot
/// in the downloaded wasm.)
fn parts(t: DateTime<Utc>, utc_offset_minutes: i32) -> (i32, u32, u32, u32, u32, u32) {
    use chrono::{Datelike, Timelike};
    let l = t.with_timezone(&offset_of(utc_offset_minutes));
    (
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute(),
        l.second(),
    )
}

/// `MM-DD HH:MM` in the site's time zone.
pub fn short_time(t: DateTime<Utc>, utc_offset_minutes: i32) -> String {
    let (_, mo, d, h, mi, _) = parts(t, utc_offset_minutes);
    format!("{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// `YYYY-MM-DD HH:MM:SS` in the site's time zone.
pub fn long_time(t: DateTime<Utc>, utc_offset_minutes: i32) -> String {
    let (y, mo, d, h, mi, s) = parts(t, utc_offset_minutes);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `YYYY-MM-DD` of the site's local day.
pub fn local_date(t: DateTime<Utc>, utc_offset_minutes: i32) -> String {
    let (y, mo, d, ..) = parts(t, utc_offset_minutes);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// A `datetime-local` input's value (`YYYY-MM-DDTHH:MM`) in the site's zone.
pub fn to_local_input(t: DateTime<Utc>, utc_offset_minutes: i32) -> String {
    let (y, mo, d, h, mi, _) = parts(t, utc_offset_minutes);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}")
}

/// A `datetime-local` input's value read back, in the site's zone.
pub fn from_local_input(s: &str, utc_offset_minutes: i32) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let (date, time) = s.trim().split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (y, mo, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<u32>().ok());
    let (h, mi) = (t.next()??, t.next()??);
    let naive =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, day)?.and_hms_opt(h, mi, 0)?;
    offset_of(utc_offset_minutes)
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A span of seconds for people: `2 天 3 小时`, `45 分钟` / `2 d 3 h`, `45 min`.
pub fn span(seconds: i64, lang: Lang) -> String {
    let minutes = seconds.max(0) / 60;
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let units = match lang {
        Lang::Zh => [" 天", " 小时", " 分钟"],
        Lang::En => [" d", " h", " min"],
    };
    let parts: Vec<String> = [d, h, m]
        .iter()
        .zip(units)
        .filter(|(n, _)| **n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        format!("0{}", units[2])
    } else {
        parts.join(" ")
    }
}

/// A code's label in `lang`.
#[macro_export]
macro_rules! label {
    ($lang:expr, $v:expr) => {
        match $lang {
            $crate::i18n::Lang::Zh => $v.label_zh(),
            $crate::i18n::Lang::En => $v.label_en(),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_and_read_back_in_the_site_zone() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T23:05:09Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(short_time(t, 480), "03-02 07:05");
        assert_eq!(long_time(t, 480), "2026-03-02 07:05:09");
        assert_eq!(local_date(t, 480), "2026-03-02");
        assert_eq!(to_local_input(t, 480), "2026-03-02T07:05");
        let back = from_local_input("2026-03-02T07:05", 480).unwrap();
        assert_eq!(back, t - chrono::Duration::seconds(9));
        assert_eq!(from_local_input("2026-02-30T07:05", 480), None);
        assert_eq!(from_local_input("nonsense", 480), None);
    }

    #[test]
    fn spans_read_in_days_hours_and_minutes() {
        assert_eq!(span(24 * 3600, Lang::Zh), "1 天");
        assert_eq!(span(27 * 3600 + 60, Lang::Zh), "1 天 3 小时 1 分钟");
        assert_eq!(span(15 * 3600, Lang::En), "15 h");
        assert_eq!(span(30, Lang::En), "0 min");
    }

    #[test]
    fn keys_are_unique_and_both_languages_are_filled() {
        let mut keys: Vec<_> = CATALOGUE.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for (k, zh, en) in CATALOGUE {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }

    fn has_latin_letters(s: &str) -> bool {
        s.chars().any(|c| c.is_ascii_alphabetic())
    }

    #[test]
    fn chinese_pages_show_no_english_error() {
        // The backend's own Chinese sentence wins.
        assert_eq!(
            error_text(
                Lang::Zh,
                "invalid",
                "the title is empty",
                "标题不能为空：请填写"
            ),
            "标题不能为空：请填写"
        );
        // Without one, the code's sentence, and for codes nobody knows a
        // general one: never the English detail nor the code itself.
        for code in [
            "invalid",
            "bad_rows",
            "not_here",
            "unsynced",
            "too_many_photos",
            "photo_too_large",
            "internal",
            "something_new",
            "",
        ] {
            let zh = error_text(Lang::Zh, code, "the draw wants 500 of 40 checkpoints", "");
            assert!(!zh.is_empty());
            assert!(
                !has_latin_letters(&zh) || zh.contains("JPEG"),
                "{code}: {zh}"
            );
        }
        // English pages keep the English detail.
        assert_eq!(
            error_text(Lang::En, "invalid", "the title is empty", "标题不能为空"),
            "Not done: the title is empty"
        );
        assert_eq!(
            error_text(Lang::En, "offline", "", ""),
            "The server cannot be reached: check the network and try again"
        );
    }

    #[test]
    fn the_login_shell_says_what_the_app_says() {
        // index.html's login form is labelled by boot.js before any wasm runs.
        let boot = include_str!("../boot.js");
        for key in [
            "app.title",
            "lang.switch",
            "login.title",
            "login.user",
            "login.password",
            "login.submit",
            "loading",
        ] {
            let pair = format!(
                "\"{key}\": [\"{}\", \"{}\"]",
                tr(Lang::Zh, key),
                tr(Lang::En, key)
            );
            assert!(boot.contains(&pair), "boot.js lacks {pair}");
        }
        for code in ["bad_credentials", "too_many_attempts", "offline"] {
            for lang in [Lang::Zh, Lang::En] {
                let said = format!("\"{}\"", error_text(lang, code, "", ""));
                assert!(boot.contains(&said), "boot.js lacks {said}");
            }
        }
        let index = include_str!("../index.html");
        for id in [
            "id=\"login\"",
            "id=\"user\"",
            "id=\"password\"",
            "id=\"login-submit\"",
        ] {
            assert!(index.contains(id), "index.html lacks {id}");
        }
    }

    #[test]
    fn times_show_in_the_site_zone() {
        let t = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        assert_eq!(long_time(t, 480), "2025-11-25 00:00:00");
        assert_eq!(short_time(t, 0), "11-24 16:00");
    }
}
