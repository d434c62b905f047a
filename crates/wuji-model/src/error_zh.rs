//! Every refusal of the model in the offices' own words: the Chinese message
//! that the refusal carries beside the English one (`ErrorDetail.message_zh`).

use crate::Error;
use crate::suggestion::Stage;

fn stage(s: Stage) -> &'static str {
    match s {
        Stage::New => "待登记",
        Stage::Registered => "已登记",
        Stage::Assigned => "已交办",
        Stage::Answered => "已答复",
        Stage::Closed => "已办结",
    }
}

fn field(f: &str) -> &str {
    match f {
        "title" => "标题",
        "text" => "内容",
        "lead" => "领衔代表",
        "cosigner" => "联名代表",
        "number" => "建议编号",
        "external_id" => "外部工单号",
        "unit" => "承办单位",
        "reason" => "理由",
        "name" => "姓名",
        "person_id" => "身份编号",
        "comment" => "意见",
        "promise" => "承诺事项",
        "term" => "届次",
        "lead_supervisor" => "领衔督办",
        "milestone" => "节点",
        "note" => "记录",
        "held_on" => "活动日期",
        "vacated_on" => "出缺日期",
        "filled_on" => "补选日期",
        "electoral_unit" => "选区",
        "place" => "地点",
        "participant" => "参加代表",
        "address" => "地址",
        "detail" => "接待日/说明",
        "leader" => "负责人",
        other => other,
    }
}

impl Error {
    /// The message in Chinese, saying what to do as [`Error`]'s English does.
    pub fn zh(&self) -> String {
        match self {
            Error::EmptyText { field: f } => format!("{}不能为空", field(f)),
            Error::TextTooLong { field: f, len, max } => {
                format!("{}有{len}个字，最多{max}个字", field(f))
            }
            Error::ControlCharacter { field: f, code, at } => {
                format!("{}第{at}个字符是控制字符 U+{code:04X}，请删除", field(f))
            }
            Error::OutOfRange {
                field: f,
                value,
                min,
                max,
            } => format!("{}为{value}，应在{min}到{max}之间", field(f)),
            Error::NotHome { node, home, .. } => {
                format!("只有所属节点 {home} 可以进行此操作；本节点是 {node}")
            }
            Error::WrongKind { expected, got } => {
                format!("记录类型不符：需要 {expected:?}，实际是 {got:?}")
            }
            Error::MissingSection { role } => format!("记录尚无 {role:?} 部分"),
            Error::OutsideRegion { node, region } => {
                format!("{node} 不在 {region} 的行政区域内")
            }
            Error::IllegalStatusStep { from, to } => {
                format!("代表状态不能从“{}”变为“{}”", from.zh(), to.zh())
            }
            Error::NotHandler { node, handler } => {
                format!("此建议现由 {handler} 办理，不由本节点 {node} 办理")
            }
            Error::Final { status } => format!("此建议{}，不能再办理", status.zh()),
            Error::AlreadyRegistered { node } => format!("{node} 已登记此建议"),
            Error::WrongStage { stage: s, .. } => {
                format!("此建议处于“{}”阶段，不能进行此操作", stage(*s))
            }
            Error::BadUnits { reason } => format!("承办单位有误：{reason}"),
            Error::NotUnit { unit, .. } => format!("{unit} 不是此建议相应的承办单位"),
            Error::ReturnTooLate {
                unit,
                days,
                last_day,
            } => format!(
                "{unit} 应在交办后{days}个工作日内（即{last_day}前）退办，现已超过，应予办理"
            ),
            Error::ExtensionTooLong { months, max } => {
                format!("延期{months}个月不允许，可延期1至{max}个月")
            }
            Error::NoSuchAnswer => "没有可以评价的答复".into(),
            Error::NotDissatisfied => "代表对最新答复“不满意”后才能重新办理".into(),
            Error::Dissatisfied => "代表对最新答复不满意：应重新办理后再办结".into(),
            Error::NotRated => "并案：代表尚未评价所并建议的答复，不能办结".into(),
            Error::ClassNotInScheme { class, scheme } => {
                format!("答复类别{class:?}不在本级人大的分类（{}）中", scheme.name())
            }
            Error::MergeIntoSelf => "建议不能与自身并案".into(),
            Error::NotAbove { node, to } => {
                format!("{to} 不是 {node} 的上级：只能上报到包含本区域的上级人大")
            }
            Error::NotBelow { node, to } => {
                format!("{to} 不在 {node} 区域内：只能转办到本区域内的人大")
            }
            Error::NoTargets => "至少需要一个交办地区".into(),
            Error::DueInPast { due } => format!("完成时限{due}已过"),
            Error::NotTarget { node } => format!("{node} 不是此事项的交办对象"),
            Error::AlreadyAcknowledged => "已签收".into(),
            Error::AlreadyDone => "已报告完成".into(),
            Error::UnknownMilestone { milestone } => format!("没有节点{milestone}"),
            Error::ZeroWeight => "节点权重须大于零".into(),
            Error::NoParticipants => "至少填写一名参加活动的代表（所属人大和身份编号）".into(),
            Error::UnknownPromise { number } => format!("本节点的承诺事项台账中没有第{number}项"),
            Error::NotAnswerer { node } => {
                format!("{node} 未答复此建议；承诺事项由答复的一方登记和更新")
            }
            Error::DateInFuture { field, date } => format!("{}{date}晚于今天", self::field(field)),
            Error::VacancyFilled { on } => format!("此席位已于{on}补选"),
            Error::UnitWithMembers => "承办单位没有代表成员".into(),
            Error::NotAReport { kind } => format!("只对向选民报告履职进行评议；此活动为{kind}"),
            Error::WrongPromiseStep { from, to } => {
                format!("此承诺事项已{}，不能退回{}", from.zh(), to.zh())
            }
            Error::DateBefore {
                field,
                date,
                before,
            } => format!("{}{date}早于{before}", self::field(field)),
            Error::Forbidden { role, owner, .. } => {
                format!("拒绝来自 {owner} 的 {role:?} 部分：无权写入")
            }
            Error::IdMismatch => "变更属于另一条记录".into(),
            Error::Calendar { file, reason } => format!("节假日文件 {file} 有误：{reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;

    #[test]
    fn refusals_speak_chinese_with_the_facts_of_the_english() {
        let e = Error::ReturnTooLate {
            unit: "镇水利站".into(),
            days: 7,
            last_day: Date::constant(2026, 10, 12),
        };
        assert_eq!(
            e.zh(),
            "镇水利站 应在交办后7个工作日内（即2026-10-12前）退办，现已超过，应予办理"
        );
        let t = Error::TextTooLong {
            field: "title",
            len: 250,
            max: 200,
        };
        assert_eq!(t.zh(), "标题有250个字，最多200个字");
        assert!(Error::NotRated.zh().contains("并案"));
    }
}
