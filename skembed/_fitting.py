"""What happens when a fit fails part-way."""

import functools


def unfitted_on_error(method):
    """Decorate a ``fit``-like method: if it raises anything (a bad input, a
    failure in a kernel, a KeyboardInterrupt in a long multi-threaded fit),
    the estimator is left unfitted, every attribute but its parameters
    removed, so that no half-trained state is ever used and the next ``fit``
    starts clean."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            clear_fitted(self)
            raise

    return wrapper


# instance attributes scikit-learn sets outside fit (set_output, metadata
# routing requests, callbacks): configuration that a fit keeps
_SKLEARN_STATE = ("_sklearn", "_skl_", "_metadata_request", "_parent_callback")


def clear_fitted(estimator):
    """Remove every attribute of ``estimator`` but its parameters and the
    configuration scikit-learn keeps on it (``set_output``, metadata
    requests, callbacks)."""
    params = set(estimator.get_params(deep=False))
    for name in [k for k in estimator.__dict__
                 if k not in params and not k.startswith(_SKLEARN_STATE)]:
        del estimator.__dict__[name]
