//! STS actions (API version 2011-06-15): only GetCallerIdentity, which AWS answers for any
//! authenticated caller whatever its policies say.

use super::Call;
use super::error::ApiResult;
use super::store::AwsState;
use super::xml::Xml;

pub fn handle(call: &Call<'_>, _state: &AwsState) -> ApiResult<Option<String>> {
    match call.action {
        "GetCallerIdentity" => {
            let mut x = Xml::new();
            x.text("Arn", &call.caller.arn);
            x.text("UserId", &call.caller.user_id);
            x.text("Account", &call.caller.account);
            Ok(Some(x.finish()))
        }
        other => Err(super::actions::not_served(
            "sts",
            other,
            call.params.get("Version"),
        )),
    }
}
