//! The one table from model errors to gRPC status codes and operator messages.

use wuji_model::Error as E;

/// The gRPC status for a refused action: the code by kind of refusal, the model's
/// message (which says what to do), and the rule name in the `wuji-rule` metadata.
pub fn to_status(err: &E) -> tonic::Status {
    use tonic::Code;
    let code = match err {
        E::EmptyText { .. }
        | E::TextTooLong { .. }
        | E::ControlCharacter { .. }
        | E::OutOfRange { .. }
        | E::WrongKind { .. }
        | E::OutsideRegion { .. }
        | E::BadUnits { .. }
        | E::ExtensionTooLong { .. }
        | E::MergeIntoSelf
        | E::NotAbove { .. }
        | E::NotBelow { .. }
        | E::NoTargets
        | E::DueInPast { .. }
        | E::ZeroWeight
        | E::IdMismatch
        | E::Calendar { .. } => Code::InvalidArgument,
        E::NotHome { .. }
        | E::NotHandler { .. }
        | E::NotTarget { .. }
        | E::NotUnit { .. }
        | E::Forbidden { .. } => Code::PermissionDenied,
        E::MissingSection { .. } | E::NoSuchAnswer | E::UnknownMilestone { .. } => Code::NotFound,
        E::IllegalStatusStep { .. }
        | E::Final { .. }
        | E::AlreadyRegistered { .. }
        | E::WrongStage { .. }
        | E::ReturnTooLate { .. }
        | E::NotDissatisfied
        | E::Dissatisfied
        | E::AlreadyAcknowledged
        | E::AlreadyDone => Code::FailedPrecondition,
    };
    let mut status = tonic::Status::new(code, err.to_string());
    if let Ok(v) = err.rule().parse() {
        status.metadata_mut().insert("wuji-rule", v);
    }
    status
}
