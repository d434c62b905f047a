//! 建议: suggestions, bill proposals and citizen opinions, and their handling.
//!
//! Sections: `origin` (where it was submitted), `handling[N]` for every node in the
//! handling chain, `supervision[N]` for any node whose region contains the origin.
//! [`workflow`] turns an office's action into a delta or a typed error; [`view`]
//! derives status, current handler, round and deadline from the merged record.

pub mod promises;
pub mod view;
pub mod workflow;

use crate::{Date, Note};
use uuid::Uuid;
use wuji_crdt::{History, Lww, Max, MergeMap, OrSet, Stamp, merge_fields};
use wuji_division::Code;

/// What was submitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuggestionKind {
    /// 建议、批评和意见: a deputy's suggestion.
    #[default]
    Suggestion,
    /// 议案: a bill proposal.
    BillProposal,
    /// 群众意见建议: a citizen opinion passed on by a deputy.
    CitizenOpinion,
}

/// The role of a handling unit (承办单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitRole {
    /// 主办: gives the one unified answer.
    Lead,
    /// 协办 / 会办: sends its views to the lead unit.
    Co,
    /// 分别办理: answers separately.
    Separate,
}

/// A handling unit and its role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandlingUnit {
    /// The unit's name (e.g. 市交通运输局).
    pub name: String,
    /// Its role.
    pub role: UnitRole,
}

/// Answer class (答复类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnswerClass {
    /// A: solved or basically solved.
    A,
    /// B: being solved or planned.
    B,
    /// C: cannot be solved now, explained.
    C,
    /// D: kept for reference (留作参考, national rules).
    D,
}

/// A congress's scheme of answer classes (答复类别): a rule of each congress,
/// carried on every answer so that counts rolling up the tree never add
/// classes of different meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClassScheme {
    /// A 已解决或采纳, B 正在解决或列入计划, C 因条件限制留作参考.
    #[default]
    Abc,
    /// A to D (D 留作参考, as the national rules had it).
    Abcd,
    /// 甲乙丙 (stored as A, B, C).
    JiaYiBing,
}

impl ClassScheme {
    /// Its name in config files, on the wire and in summary keys.
    pub fn name(self) -> &'static str {
        match self {
            ClassScheme::Abc => "ABC",
            ClassScheme::Abcd => "ABCD",
            ClassScheme::JiaYiBing => "甲乙丙",
        }
    }

    /// The scheme of a name; unknown names are refused.
    pub fn parse(s: &str) -> Option<ClassScheme> {
        [ClassScheme::Abc, ClassScheme::Abcd, ClassScheme::JiaYiBing]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether the scheme has the class.
    pub fn allows(self, class: AnswerClass) -> bool {
        class != AnswerClass::D || self == ClassScheme::Abcd
    }

    /// The class as the congress writes it (`A类`, `甲类`).
    pub fn label(self, class: AnswerClass) -> &'static str {
        match (self, class) {
            (ClassScheme::JiaYiBing, AnswerClass::A) => "甲类",
            (ClassScheme::JiaYiBing, AnswerClass::B) => "乙类",
            (ClassScheme::JiaYiBing, _) => "丙类",
            (_, AnswerClass::A) => "A类",
            (_, AnswerClass::B) => "B类",
            (_, AnswerClass::C) => "C类",
            (_, AnswerClass::D) => "D类",
        }
    }
}

impl serde::Serialize for ClassScheme {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ClassScheme {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClassScheme::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("{s:?}: the answer classes are ABC, ABCD or 甲乙丙"))
        })
    }
}

/// The deputy's rating of an answer (满意度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Satisfaction {
    /// 不满意: leads to re-handling.
    Dissatisfied,
    /// 基本满意.
    Basic,
    /// 满意.
    Satisfied,
}

/// Progress stage within one round at one handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Not yet registered at this handler.
    #[default]
    New,
    /// 登记: registered, a number given.
    Registered,
    /// 交办: assigned to handling units; the deadline runs.
    Assigned,
    /// 答复: answered in this round.
    Answered,
    /// 办结: closed.
    Closed,
}

/// `(round, stage)`, compared lexicographically: a stale write never moves it back,
/// and re-handling after dissatisfaction opens a new round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Progress {
    /// 1 for the first handling, +1 for each re-handling.
    pub round: u32,
    /// Where this round stands.
    pub stage: Stage,
}

/// An answer (答复) with its class and promises (答复承诺).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Answer {
    /// The round it answers.
    pub round: u32,
    /// The answering unit.
    pub unit: String,
    /// A/B/C/D.
    pub class: AnswerClass,
    /// The scheme the class belongs to (the answering congress's rule).
    pub scheme: ClassScheme,
    /// The answer text.
    pub text: String,
    /// What the answer promises, each tracked until done (答复承诺解决事项台账).
    pub promises: Vec<String>,
    /// Date of the answer.
    pub on: Date,
}

/// A co-handling unit's view sent to the lead (协办意见).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoView {
    /// The co-handling unit.
    pub unit: String,
    /// Its view.
    pub text: String,
    /// When.
    pub on: Date,
}

/// 退办: a unit returns a suggestion outside its remit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Return {
    /// The unit returning it.
    pub unit: String,
    /// Why.
    pub reason: String,
    /// When.
    pub on: Date,
}

/// Which way a suggestion was forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Escalated to a higher congress that can act (上报).
    Escalate,
    /// Transferred down to a lower congress (转办).
    Transfer,
}

/// A move of the handling to another node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Forward {
    /// Up or down.
    pub direction: Direction,
    /// The node that handles it next.
    pub to: Code,
    /// Why.
    pub reason: String,
    /// When.
    pub on: Date,
}

/// The deputy's feedback on one answer (代表反馈).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Feedback {
    /// 满意 / 基本满意 / 不满意.
    pub rating: Satisfaction,
    /// Comment.
    pub comment: String,
    /// When.
    pub on: Date,
}

/// 并案: the suggestion this one is handled together with, by full record id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MergeTarget {
    /// Its home; `None` in sections written before the home was kept (then
    /// it is the merged suggestion's own home).
    pub home: Option<Code>,
    /// Its UUID.
    pub uuid: Uuid,
}

impl MergeTarget {
    /// The target as a record id, for a suggestion homed at `own_home`.
    pub fn id(&self, own_home: Code) -> crate::RecordId {
        crate::RecordId {
            kind: crate::RecordKind::Suggestion,
            home: self.home.unwrap_or(own_home),
            uuid: self.uuid,
        }
    }
}

/// Names one answer: the handler whose section holds it, and its stamp there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnswerRef {
    /// The handling node.
    pub handler: Code,
    /// The answer's key in that node's answer history.
    pub at: Stamp,
}

/// Kinds of supervision (督办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SupervisionMode {
    /// 重点督办.
    Key,
    /// 领衔督办: led by a named leader.
    Led,
    /// 专项督办: by a special committee.
    Special,
    /// 联合督办.
    Joint,
    /// 协调督办: coordinated by the deputy affairs committee.
    Coordinated,
    /// 民生实事: a livelihood project chosen by vote.
    Livelihood,
}

/// The origin section: written only where the suggestion was submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// 议案 / 建议 / 群众意见.
    pub kind: Lww<SuggestionKind>,
    /// Person id of the lead submitter (领衔代表).
    pub lead: Lww<String>,
    /// Person ids of co-signers (附议代表).
    pub cosigners: OrSet<String>,
    /// Category (e.g. 城乡建设).
    pub category: Lww<String>,
    /// 标题.
    pub title: Lww<String>,
    /// 内容.
    pub text: Lww<String>,
    /// True if raised during the session (会议期间), false between sessions (闭会期间).
    pub during_session: Lww<bool>,
    /// Date submitted.
    pub submitted_on: Lww<Option<Date>>,
    /// Date withdrawn; once set it stays (a withdrawal ends handling everywhere).
    pub withdrawn: Max<Option<Date>>,
    /// The deputy's feedback per answer.
    pub feedback: MergeMap<AnswerRef, Lww<Option<Feedback>>>,
    /// The work-order id of the platform it came in from (12345 工单号, 码上见
    /// code, app id), as `platform:id`; empty if typed in here. A second
    /// submission with the same id at the same node is the same suggestion.
    pub external_id: Lww<String>,
    /// 群众意见 → 代表建议: the citizen opinion (collected at a station of a
    /// congress inside this one's region) that this suggestion takes up.
    /// Its home holds the suggestion too, so the result flows back there.
    pub from_opinion: Lww<Option<MergeTarget>>,
}
merge_fields!(Origin {
    at,
    kind,
    lead,
    cosigners,
    category,
    title,
    text,
    during_session,
    submitted_on,
    withdrawn,
    feedback,
    external_id,
    from_opinion
});

/// A handling section, written by one node of the handling chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handling {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// 建议编号 given at registration.
    pub number: Lww<String>,
    /// Date registered.
    pub registered_on: Lww<Option<Date>>,
    /// Handling units with their roles.
    pub units: OrSet<HandlingUnit>,
    /// 交办 date: the answer deadline counts from here.
    pub assigned_on: Lww<Option<Date>>,
    /// Approved extension in months.
    pub extension_months: Lww<u8>,
    /// Date the current re-handling round opened.
    pub rehandle_since: Lww<Option<Date>>,
    /// `(round, stage)`.
    pub progress: Max<Progress>,
    /// Co-handling units' views.
    pub co_views: History<CoView>,
    /// Units that returned it.
    pub returns: History<Return>,
    /// Answers, by the stamp that wrote them.
    pub answers: History<Answer>,
    /// Escalations and transfers made by this node, grow-only.
    pub forwards: History<Forward>,
    /// 并案: the suggestion this one is handled together with.
    pub merged_into: Lww<Option<MergeTarget>>,
    /// 答复期限 of the current round, fixed by this handler when it set the
    /// period (交办, 延期, 重新办理) with its rules and calendar, so every node
    /// shows the same date.
    pub deadline: Lww<Option<Date>>,
    /// True if that date was fixed under a provisional holiday calendar.
    pub deadline_provisional: Lww<bool>,
    /// Date of 办结.
    pub closed_on: Lww<Option<Date>>,
    /// 答复承诺解决事项台账: this node's promises by number, kept after 办结.
    pub promises: MergeMap<u32, promises::Promise>,
}
merge_fields!(Handling {
    at,
    number,
    registered_on,
    units,
    assigned_on,
    extension_months,
    rehandle_since,
    progress,
    co_views,
    returns,
    answers,
    forwards,
    merged_into,
    deadline,
    deadline_provisional,
    closed_on,
    promises
});

/// Supervision of one suggestion by a node whose region contains its origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuggestionSupervision {
    /// When the owner last wrote this section.
    pub at: Max<Stamp>,
    /// The kind of supervision, if any.
    pub mode: Lww<Option<SupervisionMode>>,
    /// 领衔督办 leader or supervising committee.
    pub lead_supervisor: Lww<String>,
    /// Notes and follow-up (跟踪, 回头看).
    pub notes: History<Note>,
}
merge_fields!(SuggestionSupervision {
    at,
    mode,
    lead_supervisor,
    notes
});
