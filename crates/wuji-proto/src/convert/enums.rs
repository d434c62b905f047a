//! Domain enums to and from the proto enums' numbers (listed once, in wire
//! order; public, so that the API and the store use these tables and no copy).

use crate::Error;
use wuji_model::assignment::ResponseState;
use wuji_model::deputy::DeputyStatus;
use wuji_model::suggestion::{AnswerClass, Direction, Satisfaction, Stage};
use wuji_model::{RecordKind, Role};

/// Maps a domain enum to its wire number (`offset` + position) and back.
macro_rules! wire_enum {
    ($to:ident, $from:ident, $t:ty, $offset:expr, [$($v:expr),* $(,)?]) => {
        /// The wire number of a value.
        pub fn $to(v: $t) -> i32 {
            let all = [$($v),*];
            all.iter().position(|x| *x == v).unwrap_or(0) as i32 + $offset
        }

        /// The value of a wire number.
        pub fn $from(n: i32) -> Result<$t, Error> {
            let all = [$($v),*];
            usize::try_from(n - $offset)
                .ok()
                .and_then(|i| all.get(i).copied())
                .ok_or_else(|| Error::bad(stringify!($t), format!("{n} is not a known value")))
        }
    };
}

wire_enum!(
    kind_to,
    kind_from,
    RecordKind,
    1,
    [
        RecordKind::Deputy,
        RecordKind::Suggestion,
        RecordKind::Assignment,
        RecordKind::Supervision,
        RecordKind::Summary,
        RecordKind::Calendar,
        RecordKind::Activity,
        RecordKind::Vacancy,
        RecordKind::Directory,
        RecordKind::Contact,
        RecordKind::Seats,
    ]
);

wire_enum!(
    role_to,
    role_from,
    Role,
    1,
    [
        Role::Roster,
        Role::Placement,
        Role::Origin,
        Role::Handling,
        Role::Supervision,
        Role::Issue,
        Role::Response,
        Role::Item,
        Role::Report,
        Role::Summary,
        Role::Calendar,
        Role::Activity,
        Role::Vacancy,
        Role::Directory,
        Role::Contact,
        Role::Seats,
    ]
);

wire_enum!(
    status_to,
    status_from,
    DeputyStatus,
    0,
    [
        DeputyStatus::InOffice,
        DeputyStatus::Suspended,
        DeputyStatus::Resigned,
        DeputyStatus::Recalled,
        DeputyStatus::Terminated,
        DeputyStatus::Deceased,
    ]
);

wire_enum!(
    stage_to,
    stage_from,
    Stage,
    0,
    [
        Stage::New,
        Stage::Registered,
        Stage::Assigned,
        Stage::Answered,
        Stage::Closed,
    ]
);

wire_enum!(
    class_to,
    class_from,
    AnswerClass,
    0,
    [
        AnswerClass::A,
        AnswerClass::B,
        AnswerClass::C,
        AnswerClass::D,
    ]
);

wire_enum!(
    rating_to,
    rating_from,
    Satisfaction,
    0,
    [
        Satisfaction::Dissatisfied,
        Satisfaction::Basic,
        Satisfaction::Satisfied,
    ]
);

wire_enum!(
    direction_to,
    direction_from,
    Direction,
    0,
    [Direction::Escalate, Direction::Transfer,]
);

wire_enum!(
    response_to,
    response_from,
    ResponseState,
    0,
    [
        ResponseState::Pending,
        ResponseState::Acknowledged,
        ResponseState::Reported,
        ResponseState::Done,
    ]
);

wire_enum!(
    promise_state_to,
    promise_state_from,
    wuji_model::suggestion::promises::PromiseState,
    0,
    [
        wuji_model::suggestion::promises::PromiseState::Pending,
        wuji_model::suggestion::promises::PromiseState::InProgress,
        wuji_model::suggestion::promises::PromiseState::Done,
    ]
);
