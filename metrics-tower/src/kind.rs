//! The marker types naming what a [`MetricsLayer`](crate::MetricsLayer)
//! records, and [`Kind`]: whether its responses' bodies are watched to
//! their end.

use crate::body::MetricsBody;
use crate::recorder::RequestMetrics;
use std::time::Instant;
use tachymeter_core::Trace;

/// What a layer's metrics need of the response body: layers that record
/// nothing after the response head (a timer to the head, counters of
/// requests) pass the inner body through unchanged, which spares a wrapper
/// and, under axum, boxing it again; the others return a [`MetricsBody`]
/// that ends the request when the body ends or is dropped.
///
/// Implemented by the marker types of this module only.
pub trait Kind: sealed::Sealed {
    /// The response body of a service of this kind, around the inner
    /// service's body `B`.
    type Body<B: http_body::Body>: http_body::Body<Data = B::Data, Error = B::Error>;

    /// The body of a response whose head was just recorded; `bodiless`
    /// when no body will be sent (a `HEAD` request, a 1xx, 204 or 304
    /// response).
    #[doc(hidden)]
    fn finish<B: http_body::Body>(
        body: B,
        metrics: RequestMetrics,
        start: Option<Instant>,
        trace: Option<Trace>,
        bodiless: bool,
    ) -> Self::Body<B>;

    /// The body of a response recorded already.
    #[doc(hidden)]
    fn untracked<B: http_body::Body>(body: B) -> Self::Body<B>;
}

mod sealed {
    pub trait Sealed {}
}

/// A kind whose metrics all end with the response head: its bodies pass
/// through unchanged.
macro_rules! head_kind {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl sealed::Sealed for $name {}

        impl Kind for $name {
            type Body<B: http_body::Body> = B;

            fn finish<B: http_body::Body>(
                body: B,
                metrics: RequestMetrics,
                start: Option<Instant>,
                trace: Option<Trace>,
                _bodiless: bool,
            ) -> B {
                metrics.on_body_end(start, trace);
                body
            }

            fn untracked<B: http_body::Body>(body: B) -> B {
                body
            }
        }
    };
}

/// A kind whose metrics need the end of the body: it is watched.
macro_rules! body_kind {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl sealed::Sealed for $name {}

        impl Kind for $name {
            type Body<B: http_body::Body> = MetricsBody<B>;

            fn finish<B: http_body::Body>(
                body: B,
                metrics: RequestMetrics,
                start: Option<Instant>,
                trace: Option<Trace>,
                bodiless: bool,
            ) -> MetricsBody<B> {
                MetricsBody::new(body, metrics, (start, trace), bodiless)
            }

            fn untracked<B: http_body::Body>(body: B) -> MetricsBody<B> {
                MetricsBody::untracked(body)
            }
        }
    };
}

head_kind! {
    /// [`TimedLayer`](crate::TimedLayer): a timer to the response head.
    /// The body passes through unchanged.
    Timed
}
head_kind! {
    /// [`CountedLayer`](crate::CountedLayer): a counter of requests. The
    /// body passes through unchanged.
    Counted
}
body_kind! {
    /// [`TimedLayer::measuring`](crate::TimedLayer::measuring): a timer
    /// to the head or to the end of the body, as chosen.
    TimedMeasuring
}
body_kind! {
    /// [`CountedByStatusLayer`](crate::CountedByStatusLayer).
    CountedByStatus
}
body_kind! {
    /// [`CountedByStatusXXLayer`](crate::CountedByStatusXXLayer).
    CountedByStatusXX
}
body_kind! {
    /// [`InFlightLayer`](crate::InFlightLayer).
    InFlight
}
body_kind! {
    /// [`HttpMetricsLayer`](crate::HttpMetricsLayer), and any
    /// [`RequestMetrics`] of one's own in a
    /// [`MetricsService`](crate::MetricsService).
    All
}
