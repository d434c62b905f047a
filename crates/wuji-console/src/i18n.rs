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
    ("已连接", "connected"),
    ("未连接", "not connected"),
    ("合计", "Total"),
    ("页面出错", "The page failed"),
    ("没有这一页。", "There is no such page."),
    ("时间为北京时间。", "Times are China Standard Time."),
    ("：", ": "),
    ("（", " ("),
    ("）", ")"),
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
}
