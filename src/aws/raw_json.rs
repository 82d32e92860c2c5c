//! Sending and receiving task definitions as AWS wire JSON through the SDK.
//!
//! [`ReplaceBody`] swaps the serialized body of one call for our own JSON in
//! `modify_before_retry_loop`: it runs once, after serialization and before signing, so every
//! attempt is signed over the new body and retries reuse it. [`CaptureBody`] keeps the raw
//! response body of one call (read after deserialization, when the body is buffered). Both are
//! attached per call, so concurrent calls never share a capture.

use std::sync::{Arc, Mutex};

use aws_sdk_ecs::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

/// Replaces the request body of the call it is attached to.
#[derive(Debug, Clone)]
pub struct ReplaceBody(pub Bytes);

impl Intercept for ReplaceBody {
    fn name(&self) -> &'static str {
        "ReplaceBody"
    }

    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        *request.body_mut() = SdkBody::from(self.0.clone());
        request
            .headers_mut()
            .insert("content-length", self.0.len().to_string());
        Ok(())
    }
}

/// Keeps a copy of the raw response body of the call it is attached to.
#[derive(Debug, Clone, Default)]
pub struct CaptureBody(Arc<Mutex<Option<Bytes>>>);

impl CaptureBody {
    /// The captured body, once the call has completed.
    pub fn take(&self) -> Option<Bytes> {
        self.0.lock().expect("capture lock").take()
    }
}

impl Intercept for CaptureBody {
    fn name(&self) -> &'static str {
        "CaptureBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes() {
            *self.0.lock().expect("capture lock") = Some(Bytes::copy_from_slice(bytes));
        }
        Ok(())
    }
}
