//! What an OTLP receiver's answer says: how many points it refused, and
//! why.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message;
use tachymeter_report::Answer;

/// The points the receiver refused: those a partial success rejected (an
/// answer of 200 whose `partial_success` counts them), or all of them for
/// any other status the transport does not retry.
pub(crate) fn rejected(answer: &Answer<'_>) -> u64 {
    if !(200..300).contains(&answer.status) {
        return answer.points;
    }
    ExportMetricsServiceResponse::decode(answer.body)
        .ok()
        .and_then(|r| r.partial_success)
        .map_or(0, |p| u64::try_from(p.rejected_data_points).unwrap_or(0))
}

/// The receiver's message: a partial success's `error_message`, or the
/// readable text of another answer (a `google.rpc.Status` in protobuf
/// keeps its message readable among its bytes).
pub(crate) fn message(answer: &Answer<'_>) -> String {
    if (200..300).contains(&answer.status) {
        if let Ok(response) = ExportMetricsServiceResponse::decode(answer.body) {
            return response
                .partial_success
                .map(|p| p.error_message)
                .unwrap_or_default();
        }
    }
    String::from_utf8_lossy(answer.body)
        .chars()
        .filter(|c| !c.is_control() && *c != char::REPLACEMENT_CHARACTER)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsPartialSuccess;

    fn answer(status: u16, body: &[u8]) -> Answer<'_> {
        Answer {
            status,
            body,
            points: 10,
        }
    }

    #[test]
    fn a_partial_success_refuses_its_rejected_points() {
        let body = ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: 3,
                error_message: "names too long".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(rejected(&answer(200, &body)), 3);
        assert_eq!(message(&answer(200, &body)), "names too long");
        assert_eq!(rejected(&answer(200, b"")), 0);
        assert_eq!(rejected(&answer(400, b"\x08\x03\x12\x03bad")), 10);
        assert_eq!(
            message(&answer(400, b"\x08\x03\x12\x0bbad request")),
            "bad request"
        );
    }
}
