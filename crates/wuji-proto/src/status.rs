//! The one carrier of refusals: every refusal of the client API and of the
//! access layer is a gRPC status whose details hold a `google.rpc.Status` with
//! one `wuji.v1.ErrorDetail` (the rule broken and a message an operator can act
//! on), the gRPC rich error model that standard clients decode; the rule is
//! also in the `wuji-rule` metadata for scripts. And the one table from model
//! errors to gRPC status codes.

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
        | E::ClassNotInScheme { .. }
        | E::NotAbove { .. }
        | E::NotBelow { .. }
        | E::NoTargets
        | E::DueInPast { .. }
        | E::ZeroWeight
        | E::IdMismatch
        | E::NoParticipants
        | E::UnitWithMembers
        | E::DateInFuture { .. }
        | E::DateBefore { .. }
        | E::Calendar { .. } => Code::InvalidArgument,
        E::NotHome { .. }
        | E::NotHandler { .. }
        | E::NotTarget { .. }
        | E::NotUnit { .. }
        | E::NotAnswerer { .. }
        | E::Forbidden { .. } => Code::PermissionDenied,
        E::MissingSection { .. }
        | E::NoSuchAnswer
        | E::UnknownMilestone { .. }
        | E::UnknownPromise { .. } => Code::NotFound,
        E::IllegalStatusStep { .. }
        | E::Final { .. }
        | E::AlreadyRegistered { .. }
        | E::WrongStage { .. }
        | E::ReturnTooLate { .. }
        | E::NotDissatisfied
        | E::Dissatisfied
        | E::NotRated
        | E::AlreadyAcknowledged
        | E::AlreadyDone
        | E::WrongPromiseStep { .. }
        | E::NotAReport { .. }
        | E::VacancyFilled { .. } => Code::FailedPrecondition,
    };
    refusal_zh(code, err.rule(), err.to_string(), err.zh())
}

/// `google.rpc.Status`, as the gRPC rich error model puts it in the details.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// The type URL of [`crate::pb::ErrorDetail`] in the details.
pub const ERROR_DETAIL_TYPE: &str = "type.googleapis.com/wuji.v1.ErrorDetail";

/// A refusal: `code`, `message`, and the rule in the details (an
/// `ErrorDetail`) and in the `wuji-rule` metadata.
pub fn refusal(code: tonic::Code, rule: &str, message: impl Into<String>) -> tonic::Status {
    refusal_zh(code, rule, message, String::new())
}

/// [`refusal`] with the message in Chinese too (`ErrorDetail.message_zh`).
pub fn refusal_zh(
    code: tonic::Code,
    rule: &str,
    message: impl Into<String>,
    message_zh: String,
) -> tonic::Status {
    use prost::Message;
    let message = message.into();
    let detail = crate::pb::ErrorDetail {
        rule: rule.to_string(),
        message: message.clone(),
        message_zh,
    };
    let details = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: vec![Any {
            type_url: ERROR_DETAIL_TYPE.into(),
            value: detail.encode_to_vec(),
        }],
    };
    let mut status = tonic::Status::with_details(code, message, details.encode_to_vec().into());
    if let Ok(v) = rule.parse() {
        status.metadata_mut().insert("wuji-rule", v);
    }
    status
}

/// The `ErrorDetail` a status carries, if any.
pub fn error_detail(status: &tonic::Status) -> Option<crate::pb::ErrorDetail> {
    use prost::Message;
    let s = RpcStatus::decode(status.details()).ok()?;
    s.details
        .iter()
        .find(|a| a.type_url == ERROR_DETAIL_TYPE)
        .and_then(|a| crate::pb::ErrorDetail::decode(a.value.as_slice()).ok())
}

/// The rule of a refusal that did not come from wuji's own code (the gRPC
/// stack's: a message over the size limit, an unknown method, ...), by code.
pub fn rule_of_code(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::OutOfRange | Code::ResourceExhausted => "message-size",
        Code::Unimplemented => "unknown-method",
        Code::InvalidArgument => "invalid-request",
        Code::Internal | Code::DataLoss | Code::Unknown => "internal",
        Code::Unavailable => "unavailable",
        Code::DeadlineExceeded | Code::Cancelled => "deadline",
        Code::Unauthenticated | Code::PermissionDenied => "access",
        Code::NotFound => "not-found",
        _ => "refused",
    }
}

/// What a refusal of the node or its access layer is about, in the offices'
/// words: the Chinese message is this followed by the English detail (which
/// names the value).
pub fn rule_zh(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "record-id" => "记录编号有误",
        "enum-value" => "取值不在可选范围内",
        "division-code" => "行政区划代码有误",
        "date" => "日期有误",
        "number-range" => "数值超出范围",
        "person-id-unique" => "身份编号已在本级人大代表名单中",
        "placement-required" => "需要指定进站地点",
        "page-token" => "翻页标记无效",
        "merge-target" => "不能并入该建议",
        "import-rows" => "导入文件没有数据行",
        "escalate-upwards" => "全国人大没有上级",
        "deputy-unknown" => "本节点没有此代表，请先录入代表",
        "deputy-not-in-office" => "该代表不在任",
        "not-found" => "未找到",
        "invalid-request" => "请求无效",
        "shutting-down" => "节点正在停止，请稍后再试",
        "internal" => "节点内部错误，请查看节点日志",
        "node-certificate-on-api" => "节点证书只能读取本区域的接口，不能写入",
        "link-needs-node-certificate" => "同步连接需要节点证书",
        "client-for-another-node" => "此客户端证书不属于本节点",
        "reader-may-not-write" => "只读证书不能写入",
        "message-size" => "消息过大",
        "kind" => "记录种类有误",
        "drill-outside-region" => "只能下钻本行政区域内的下级",
        "drill-unanswered" => "下级没有答复（通往该地区的连接未建立或超时）",
        "drill-answer" => "下级的答复无法解读",
        "cursor" => "订阅位置（cursor）有误",
        "cursor-stale" => "订阅位置已失效，请重新获取全部记录，再从当前位置订阅",
        "watch-filter" => "订阅条件有误",
        _ => return None,
    })
}
