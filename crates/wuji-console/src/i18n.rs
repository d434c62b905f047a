//! The pages' words: Chinese first, the offices' own terms, with an English
//! switch (a cookie). Every label of a page goes through [`Lang::t`], keyed
//! by its Chinese text; a label without an English entry is a test failure.

/// The language cookie's name.
pub const COOKIE: &str = "wuji_lang";

/// A page's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

/// Every label: (中文, English).
pub const LABELS: &[(&str, &str)] = &[
    ("人大代表建议办理平台", "Deputies' suggestions console"),
    ("总览", "Overview"),
    ("登录", "Log in"),
    ("退出", "Log out"),
    ("用户名", "Name"),
    ("密码", "Password"),
    ("用户名或密码不对。", "Wrong name or password."),
    ("请登录。", "Please log in."),
    ("经办", "operator"),
    ("查阅", "reader"),
    ("地区", "Region"),
    ("人大", "Congress"),
    ("建议(本级)", "Suggestions (own)"),
    ("建议(含下级)", "Suggestions (with below)"),
    ("已办结", "Closed"),
    ("办理中", "In progress"),
    ("超期", "Overdue"),
    ("临期", "Due ≤15 days"),
    ("办结率", "Closed %"),
    ("满意率", "Satisfied %"),
    ("按时答复率", "On time %"),
    ("A类占比", "Class A %"),
    ("代表(含下级)", "Deputies (with below)"),
    ("交办完成", "Assignments done"),
    ("督办进度", "Supervision progress"),
    ("本级及下级", "This region and those below"),
    ("下钻", "Drill down"),
    ("返回", "Back"),
    ("节点", "Node"),
    ("日志序号", "Log sequence"),
    ("链路", "Links"),
    ("近十二个月", "The last twelve months"),
    ("提出", "Submitted"),
    ("按月，含下级", "by month, with the regions below"),
    ("已连接", "connected"),
    ("未连接", "not connected"),
    ("合计", "Total"),
    ("页面出错", "The page failed"),
    ("没有这一页。", "There is no such page."),
    ("时间为北京时间。", "Times are China Standard Time."),
    ("建议", "Suggestions"),
    ("状态", "Status"),
    ("全部", "All"),
    ("交办机关", "Handled by"),
    ("类别", "Category"),
    ("提出地区", "Raised in"),
    ("提出日期", "Submitted"),
    ("仅超期", "Overdue only"),
    ("查询", "Search"),
    ("编号", "No."),
    ("标题", "Title"),
    ("领衔代表", "Lead deputy"),
    ("承办单位", "Units"),
    ("办理期限", "Deadline"),
    ("没有符合条件的建议。", "No suggestion matches."),
    ("下一页", "Next page"),
    ("记录号", "Record id"),
    ("种类", "Kind"),
    ("附议代表", "Co-signers"),
    ("提出时间", "Submitted on"),
    ("提出机关", "Submitted at"),
    ("办理轮次", "Round"),
    ("答复类别", "Answer class"),
    ("答复单位", "Answering unit"),
    ("答复内容", "Answer"),
    ("代表评价", "Deputy's rating"),
    ("督办", "Supervision"),
    ("办理经过", "Handled along"),
    ("建议内容", "Text"),
    ("办理过程", "Handling timeline"),
    ("日期", "Date"),
    ("机关", "Office"),
    ("环节", "Step"),
    ("内容", "Detail"),
    ("未办理：", "Not done: "),
    ("办理", "Next steps"),
    ("登记", "Register"),
    ("主办单位", "Lead unit"),
    ("协办单位（以、分隔）", "Co-units (comma-separated)"),
    ("交办", "Assign"),
    ("答复", "Answer it"),
    ("承诺事项（每行一项）", "Promises (one per line)"),
    ("满意", "satisfied"),
    ("基本满意", "basically satisfied"),
    ("不满意", "dissatisfied"),
    ("意见", "Comment"),
    ("反馈", "Record feedback"),
    ("办结", "Close"),
    (
        "本节点没有这条建议。",
        "This node holds no such suggestion.",
    ),
    (
        "表单已过期或来自别处，请刷新后重试。",
        "The form is stale or from elsewhere; reload and try again.",
    ),
    ("查阅账号不能办理。", "A reader account cannot act."),
    ("、", ", "),
    ("下发日期", "Issued"),
    ("交办事项", "Assignments"),
    ("代表", "Deputies"),
    ("代表团/选举单位", "Delegation / electoral unit"),
    ("代表小组", "Group"),
    ("发出的交办", "Issued by this congress"),
    (
        "只列出了前一页；完整清单见“建议”。",
        "Only the first page is listed; see Suggestions for all.",
    ),
    ("各地状态", "State per target"),
    ("在本地", "Here"),
    (
        "在本地联系的上级代表",
        "Higher congresses' deputies placed here",
    ),
    ("女", "F"),
    ("男", "M"),
    ("姓名", "Name"),
    ("完成", "Done"),
    ("完成期限", "Due"),
    ("届次", "Term"),
    ("已完成", "done"),
    ("待办", "To do"),
    ("待办事项", "Waiting for"),
    ("待登记", "register"),
    ("待交办", "assign"),
    ("待重新交办", "assign again"),
    ("待答复", "answer"),
    ("待重新办理", "handle again"),
    ("待反馈", "deputy's feedback"),
    ("待办结", "close"),
    ("待签收", "acknowledge"),
    ("待报告", "report"),
    ("性别", "Sex"),
    ("所属人大", "Congress"),
    ("报告", "Report"),
    ("签收", "Acknowledge"),
    ("按姓氏笔画排序", "in roster order (surname strokes)"),
    ("收到的交办", "Received"),
    ("本地区全部代表", "Every deputy of the region"),
    ("本级代表", "This congress's deputies"),
    ("本级状态", "Our state"),
    ("来自", "From"),
    ("没有发出交办事项。", "No assignment issued."),
    ("没有待办的交办事项。", "No assignment waits."),
    ("没有待办的建议。", "No suggestion waits."),
    ("没有收到交办事项。", "No assignment received."),
    ("没有符合条件的代表。", "No deputy matches."),
    ("联络站", "Station"),
    ("范围", "Scope"),
    ("进展情况", "Progress"),
    ("办理情况汇总表", "Handling summary"),
    ("办理状态", "Handling status"),
    (
        "代表建议办理情况汇总表",
        "Deputies' suggestions: handling summary",
    ),
    ("序号", "#"),
    ("交办日期", "Assigned on"),
    ("导出办理情况汇总表", "Export the handling summary (.xlsx)"),
    ("督办与民生实事", "Supervision and livelihood projects"),
    ("督办方式", "Mode"),
    ("督办机关", "Supervised by"),
    ("领衔督办", "Lead supervisor"),
    ("涉及地区", "Covers"),
    ("进度", "Progress"),
    ("确认完成", "Confirm done"),
    (
        "本节点没有督办事项。",
        "This node holds no supervision item.",
    ),
    ("：", ": "),
    ("，", ", "),
    ("（", " ("),
    ("）", ")"),
    ("履职档案", "Duty record"),
    ("承诺事项", "Promises"),
    ("代表编号", "Deputy's person id"),
    ("年度", "Year"),
    (
        "积分按本级人大的履职积分办法计算",
        "Points by this congress's duty rules",
    ),
    ("活动类别", "Kind"),
    ("次数", "Activities"),
    ("积分", "Points"),
    ("年度要求", "Yearly target"),
    ("（未完成）", "(short)"),
    (
        "本年度没有履职活动记录。",
        "No activity recorded this year.",
    ),
    ("活动", "Activities recorded"),
    ("主题", "Title"),
    ("地点", "Place"),
    ("组织单位", "Organised by"),
    ("答复承诺事项台账", "Ledger of promises made in answers"),
    ("只看逾期未落实", "Overdue only"),
    ("承诺事项（台账）", "Promise"),
    ("责任单位", "Responsible unit"),
    ("完成时限", "Due"),
    ("落实情况", "State"),
    ("答复机关", "Answered by"),
    ("逾期", "overdue"),
    ("未落实", "pending"),
    ("落实中", "in progress"),
    ("已落实", "done"),
    ("没有符合条件的承诺事项。", "No promise matches."),
];

impl Lang {
    /// The language of a `Cookie` header.
    pub fn from_cookies(header: &str) -> Lang {
        match crate::session::cookie(header, COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The label `zh` in this language.
    pub fn t(&self, zh: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => LABELS
                .iter()
                .find(|(z, _)| *z == zh)
                .map(|(_, e)| *e)
                .unwrap_or(zh),
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(&self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language's code and the word that switches to it.
    pub fn other(&self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("en", "English"),
            Lang::En => ("zh", "中文"),
        }
    }

    /// The English of a label, if it has one.
    pub fn t_dyn(&self, zh: &str) -> Option<&'static str> {
        LABELS.iter().find(|(z, _)| *z == zh).map(|(_, e)| *e)
    }

    /// True for English.
    pub fn en(&self) -> bool {
        *self == Lang::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (zh, en) in LABELS {
            assert!(seen.insert(*zh), "{zh} twice");
            assert!(!zh.is_empty() && !en.is_empty());
        }
        assert_eq!(Lang::En.t("总览"), "Overview");
        assert_eq!(Lang::Zh.t("总览"), "总览");
        assert_eq!(Lang::from_cookies("a=b; wuji_lang=en"), Lang::En);
        assert_eq!(Lang::from_cookies(""), Lang::Zh);
    }

    /// Every `t("...")` of the templates and the pages, and every label a
    /// page passes through `t` by value (record fields, 待办 steps), has an
    /// English entry.
    #[test]
    fn every_label_used_has_an_english_entry() {
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/problem.html"),
            include_str!("../templates/overview.html"),
            include_str!("../templates/suggestions.html"),
            include_str!("../templates/record.html"),
            include_str!("../templates/inbox.html"),
            include_str!("../templates/assignments.html"),
            include_str!("../templates/supervision.html"),
            include_str!("../templates/deputies.html"),
            include_str!("pages/mod.rs"),
            include_str!("pages/overview.rs"),
            include_str!("pages/suggestions.rs"),
            include_str!("pages/record.rs"),
            include_str!("pages/inbox.rs"),
            include_str!("pages/assignments.rs"),
            include_str!("pages/supervision.rs"),
            include_str!("pages/deputies.rs"),
            include_str!("pages/export.rs"),
            include_str!("pages/chart.rs"),
        ];
        let mut missing = Vec::new();
        let mut used = 0;
        for src in sources {
            // t("…") and the first string of a tuple ("…", value) in pages
            // whose labels go through t by value.
            for part in src.split("t(\"").skip(1) {
                let label = part.split('"').next().unwrap_or("");
                used += 1;
                if !label.is_ascii() && Lang::En.t_dyn(label).is_none() {
                    missing.push(label.to_string());
                }
            }
            for part in src.split("    (\"").skip(1) {
                let label = part.split('"').next().unwrap_or("");
                if !label.is_ascii() && !label.contains('{') && Lang::En.t_dyn(label).is_none() {
                    missing.push(label.to_string());
                }
            }
        }
        assert!(used > 100, "found only {used} labels: is the scan right?");
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "labels with no English: {missing:?}");
    }
}
