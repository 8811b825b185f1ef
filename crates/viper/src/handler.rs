//! The handler trait: plain `async fn`s of 0..=6 extractor arguments.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;

use crate::error::unprocessable;
use crate::extract::{FromRequest, Rejection};
use crate::request::RequestContext;
use crate::response::{IntoResponse, Response};

/// A boxed handler future (not `Send`: connections run on one thread).
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = Response>>>;

/// Implemented for every `Fn(E1, …, En) -> impl Future<Output = impl IntoResponse>`
/// (`n` ≤ 6) whose arguments are [`FromRequest`] extractors. `Args` is the tuple of
/// argument types; it only tells the implementations apart.
pub trait Handler<S, Args>: 'static {
    /// Extracts the arguments and starts the handler (or answers a rejection).
    fn call(&self, req: &RequestContext, state: &Rc<S>) -> Result<BoxFuture, Response>;
}

pub(crate) trait ErasedHandler<S> {
    fn call(&self, req: &RequestContext, state: &Rc<S>) -> Result<BoxFuture, Response>;
}

pub(crate) struct Erased<H, Args> {
    pub(crate) h: H,
    pub(crate) _a: core::marker::PhantomData<fn() -> Args>,
}

impl<S, H: Handler<S, Args>, Args> ErasedHandler<S> for Erased<H, Args> {
    fn call(&self, req: &RequestContext, state: &Rc<S>) -> Result<BoxFuture, Response> {
        self.h.call(req, state)
    }
}

fn take<S, T: FromRequest<S>>(
    req: &RequestContext,
    state: &Rc<S>,
    errs: &mut Vec<crate::error::ValidationError>,
) -> Result<Option<T>, Response> {
    match T::from_request(req, state) {
        Ok(v) => Ok(Some(v)),
        Err(Rejection::Invalid(e)) => {
            errs.extend(e);
            Ok(None)
        }
        Err(Rejection::Response(r)) => Err(r),
    }
}

macro_rules! handler {
    ($($t:ident),*) => {
        impl<S, F, Fut, R, $($t,)*> Handler<S, ($($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + 'static,
            Fut: Future<Output = R> + 'static,
            R: IntoResponse,
            $($t: FromRequest<S>,)*
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn call(&self, req: &RequestContext, state: &Rc<S>) -> Result<BoxFuture, Response> {
                let mut errs = Vec::new();
                $(let $t = take::<S, $t>(req, state, &mut errs)?;)*
                if !errs.is_empty() {
                    return Err(unprocessable(&errs));
                }
                $(let Some($t) = $t else { return Err(unprocessable(&errs)) };)*
                let fut = (self)($($t),*);
                Ok(Box::pin(async move { fut.await.into_response() }))
            }
        }
    };
}

handler!();
handler!(T1);
handler!(T1, T2);
handler!(T1, T2, T3);
handler!(T1, T2, T3, T4);
handler!(T1, T2, T3, T4, T5);
handler!(T1, T2, T3, T4, T5, T6);
