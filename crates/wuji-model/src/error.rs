//! The one error type of the model: every refused action or section names the rule
//! it breaks ([`Error::rule`]) and says what to do in its message.

use crate::suggestion::Stage;
use crate::suggestion::view::Status;
use crate::{Date, RecordKind, Role, deputy::DeputyStatus};
use wuji_division::Code;

/// Why an action, a section or a file was refused. Nothing is written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required text is empty.
    #[error("{field} is empty")]
    EmptyText {
        /// Which field.
        field: &'static str,
    },
    /// A text is longer than allowed.
    #[error("{field} has {len} characters; at most {max} are allowed")]
    TextTooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A control character (NUL, escape, ...) in a text; single-line fields
    /// take no line breaks or tabs either.
    #[error("{field} holds the control character U+{code:04X} at character {at}; remove it")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
        /// The character's code point.
        code: u32,
        /// Its position (0-based, in characters).
        at: usize,
    },
    /// A number outside its domain.
    #[error("{field} is {value}; it must be between {min} and {max}")]
    OutOfRange {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// The action belongs to the record's home node.
    #[error("only the home node {home} may {action}; this node is {node}")]
    NotHome {
        /// This node.
        node: Code,
        /// The record's home.
        home: Code,
        /// What was attempted.
        action: &'static str,
    },
    /// The action was applied to the wrong kind of record.
    #[error("this is a {got:?} record, not a {expected:?}")]
    WrongKind {
        /// Expected kind.
        expected: RecordKind,
        /// Actual kind.
        got: RecordKind,
    },
    /// The record lacks a section the action needs.
    #[error("the record has no {role:?} section yet")]
    MissingSection {
        /// The missing role.
        role: Role,
    },
    /// A code lies outside the region it must be in.
    #[error("{node} lies outside the region of {region}")]
    OutsideRegion {
        /// The code.
        node: Code,
        /// The region.
        region: Code,
    },
    /// 代表资格: an illegal status change.
    #[error("a deputy cannot go from {} to {}", from.zh(), to.zh())]
    IllegalStatusStep {
        /// Current status.
        from: DeputyStatus,
        /// Requested status.
        to: DeputyStatus,
    },
    /// The suggestion is handled elsewhere now.
    #[error("{node} is not handling this suggestion now; {handler} is")]
    NotHandler {
        /// This node.
        node: Code,
        /// The current handler.
        handler: Code,
    },
    /// Nothing more can happen to the suggestion.
    #[error("the suggestion is {} ({status:?}); nothing more can be done", status.zh())]
    Final {
        /// Its status.
        status: Status,
    },
    /// Registered twice.
    #[error("{node} has already registered this suggestion")]
    AlreadyRegistered {
        /// This node.
        node: Code,
    },
    /// The action does not fit the current stage.
    #[error("cannot {action} at stage {stage:?}")]
    WrongStage {
        /// What was attempted.
        action: &'static str,
        /// Current stage.
        stage: Stage,
    },
    /// The set of handling units breaks the assignment rules.
    #[error("handling units: {reason}")]
    BadUnits {
        /// Which rule.
        reason: &'static str,
    },
    /// The unit does not hold the needed role.
    #[error("{unit} is not a {role} unit of this suggestion")]
    NotUnit {
        /// The unit.
        unit: String,
        /// The role needed.
        role: &'static str,
    },
    /// 退办 after the allowed working days.
    #[error(
        "{unit} may return a suggestion within {days} working days of assignment, \
         that is by {last_day}; it must now handle it"
    )]
    ReturnTooLate {
        /// The unit.
        unit: String,
        /// The limit in working days.
        days: u32,
        /// The last day a return was allowed.
        last_day: Date,
    },
    /// Extension beyond the legal maximum.
    #[error("an extension of {months} months is not allowed; 1 to {max} months")]
    ExtensionTooLong {
        /// Requested.
        months: u8,
        /// Allowed.
        max: u8,
    },
    /// Feedback on an answer that does not exist.
    #[error("there is no such answer to rate")]
    NoSuchAnswer,
    /// Re-handling without a dissatisfied rating.
    #[error("re-handling needs a 不满意 (dissatisfied) rating of the latest answer")]
    NotDissatisfied,
    /// Closing while the deputy is dissatisfied.
    #[error("the deputy is dissatisfied with the latest answer: re-handle it before closing")]
    Dissatisfied,
    /// 办结 of a merged suggestion before its deputy rated the joined answer.
    #[error("并案: the deputy has not rated the answer of the suggestion it joined yet")]
    NotRated,
    /// An answer class the congress's scheme does not have.
    #[error("answer class {class:?} is not in this congress's scheme {}", scheme.name())]
    ClassNotInScheme {
        /// The class given.
        class: crate::suggestion::AnswerClass,
        /// The scheme.
        scheme: crate::suggestion::ClassScheme,
    },
    /// 并案 with itself.
    #[error("a suggestion cannot be merged into itself")]
    MergeIntoSelf,
    /// Escalation to a node that is not above.
    #[error("{to} is not above {node}: escalate only to a higher congress containing it")]
    NotAbove {
        /// This node.
        node: Code,
        /// The target.
        to: Code,
    },
    /// Transfer to a node that is not below.
    #[error("{to} is not inside {node}: transfer only to a congress within the region")]
    NotBelow {
        /// This node.
        node: Code,
        /// The target.
        to: Code,
    },
    /// An assignment or supervision item with no targets.
    #[error("at least one target region is needed")]
    NoTargets,
    /// A due date before today.
    #[error("the due date {due} is in the past")]
    DueInPast {
        /// The due date.
        due: Date,
    },
    /// The node is not a target.
    #[error("{node} is not a target of this item")]
    NotTarget {
        /// This node.
        node: Code,
    },
    /// Acknowledged twice.
    #[error("already acknowledged")]
    AlreadyAcknowledged,
    /// Reported after done.
    #[error("already reported done")]
    AlreadyDone,
    /// A milestone number that does not exist.
    #[error("there is no milestone {milestone}")]
    UnknownMilestone {
        /// The number.
        milestone: u32,
    },
    /// A milestone with zero weight.
    #[error("a milestone needs a weight above zero")]
    ZeroWeight,
    /// An activity needs at least one deputy who took part.
    #[error("name at least one deputy who took part (congress and person id)")]
    NoParticipants,
    /// No promise of that number in this node's ledger.
    #[error("there is no promise {number} in this node's ledger of the suggestion")]
    UnknownPromise {
        /// The number.
        number: u32,
    },
    /// Only a node that answered the suggestion keeps its promises.
    #[error("{node} has not answered this suggestion; the node that answered keeps its promises")]
    NotAnswerer {
        /// This node.
        node: Code,
    },
    /// A date that has not come yet where only a past one makes sense.
    #[error("{field} {date} is after today")]
    DateInFuture {
        /// Which field.
        field: &'static str,
        /// The date given.
        date: Date,
    },
    /// A promise's state moves forward only.
    #[error("the promise is {} already; it cannot go back to {}", from.zh(), to.zh())]
    WrongPromiseStep {
        /// Where it stands.
        from: crate::suggestion::promises::PromiseState,
        /// Where it was asked to go.
        to: crate::suggestion::promises::PromiseState,
    },
    /// Only a report on the deputies' duties is reviewed (评议).
    #[error(
        "only a report on the deputies' duties (向选民报告履职) is reviewed; this activity is {kind}"
    )]
    NotAReport {
        /// The activity's kind, in the offices' term.
        kind: &'static str,
    },
    /// A 承办单位 has no deputies as members.
    #[error("a 承办单位 (unit) has no deputies as members")]
    UnitWithMembers,
    /// A date before the one it follows.
    #[error("{field} {date} is before {before}")]
    DateBefore {
        /// Which field.
        field: &'static str,
        /// The date given.
        date: Date,
        /// The date it may not precede.
        before: Date,
    },
    /// The vacancy is already filled.
    #[error("the seat was already filled on {on}")]
    VacancyFilled {
        /// When it was filled.
        on: Date,
    },
    /// A section from a node that may not hold it.
    #[error("{role:?} section from {owner} refused: {reason}")]
    Forbidden {
        /// The section's role.
        role: Role,
        /// Its claimed owner.
        owner: Code,
        /// Which rule.
        reason: &'static str,
    },
    /// A delta for another record.
    #[error("the delta belongs to another record")]
    IdMismatch,
    /// A holiday calendar file is wrong.
    #[error("holiday calendar {file}: {reason}")]
    Calendar {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// A stable name of the rule broken, for logs, metrics and scripts.
    pub fn rule(&self) -> &'static str {
        match self {
            Error::EmptyText { .. } => "text-required",
            Error::TextTooLong { .. } => "text-length",
            Error::ControlCharacter { .. } => "text-control-character",
            Error::OutOfRange { .. } => "number-range",
            Error::NotHome { .. } => "home-only",
            Error::WrongKind { .. } => "record-kind",
            Error::MissingSection { .. } => "section-missing",
            Error::OutsideRegion { .. } => "inside-region",
            Error::IllegalStatusStep { .. } => "deputy-status-step",
            Error::NotHandler { .. } => "current-handler",
            Error::Final { .. } => "final-status",
            Error::NotRated => "rating-required",
            Error::ClassNotInScheme { .. } => "answer-class-scheme",
            Error::AlreadyRegistered { .. } => "register-once",
            Error::WrongStage { .. } => "stage-order",
            Error::BadUnits { .. } => "handling-units",
            Error::NotUnit { .. } => "unit-role",
            Error::ReturnTooLate { .. } => "return-time-limit",
            Error::ExtensionTooLong { .. } => "extension-limit",
            Error::NoSuchAnswer => "answer-exists",
            Error::NotDissatisfied => "rehandle-needs-dissatisfied",
            Error::Dissatisfied => "close-needs-satisfaction",
            Error::MergeIntoSelf => "merge-other",
            Error::NotAbove { .. } => "escalate-upwards",
            Error::NotBelow { .. } => "transfer-downwards",
            Error::NoTargets => "targets-required",
            Error::DueInPast { .. } => "due-date",
            Error::NotTarget { .. } => "target-only",
            Error::AlreadyAcknowledged => "acknowledge-once",
            Error::AlreadyDone => "report-after-done",
            Error::UnknownMilestone { .. } => "milestone-exists",
            Error::ZeroWeight => "milestone-weight",
            Error::NoParticipants => "participants-required",
            Error::UnknownPromise { .. } => "promise-exists",
            Error::NotAnswerer { .. } => "promise-keeper",
            Error::DateInFuture { .. } => "date-not-future",
            Error::VacancyFilled { .. } => "vacancy-open",
            Error::DateBefore { .. } => "date-order",
            Error::WrongPromiseStep { .. } => "promise-state-step",
            Error::NotAReport { .. } => "review-of-report",
            Error::UnitWithMembers => "unit-members",
            Error::Forbidden { .. } => "section-authority",
            Error::IdMismatch => "record-id",
            Error::Calendar { .. } => "calendar-file",
        }
    }
}
