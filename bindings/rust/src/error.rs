//! Status codes and the crate's error type.

use std::ffi::CStr;
use std::fmt;

use crate::ffi;

/// A SparseFlow status code (`sf_status_t`). A plain integer newtype, so that a code appended to
/// the C enum by a newer library is carried through rather than being undefined behaviour.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Status(pub i32);

impl Status {
    pub const SUCCESS: Status = Status(ffi::SF_SUCCESS);
    /// A required pointer argument is null.
    pub const NULL_POINTER: Status = Status(ffi::SF_ERROR_NULL_POINTER);
    /// A size (rows, cols, n) is zero or negative, or too large.
    pub const INVALID_SIZE: Status = Status(ffi::SF_ERROR_INVALID_SIZE);
    /// K is not a multiple of the required granularity (4 to prune and check, 32 to compress and
    /// multiply).
    pub const K_GRANULARITY: Status = Status(ffi::SF_ERROR_K_GRANULARITY);
    /// A pointer is not aligned as the function requires.
    pub const MISALIGNED: Status = Status(ffi::SF_ERROR_MISALIGNED);
    /// A leading dimension is smaller than the row it spans.
    pub const LEADING_DIMENSION: Status = Status(ffi::SF_ERROR_LEADING_DIMENSION);
    /// The dtype is unknown or not supported by this function.
    pub const UNSUPPORTED_DTYPE: Status = Status(ffi::SF_ERROR_UNSUPPORTED_DTYPE);
    /// The layout is unknown.
    pub const UNSUPPORTED_LAYOUT: Status = Status(ffi::SF_ERROR_UNSUPPORTED_LAYOUT);
    /// Device memory was asked for and no usable CUDA device exists.
    pub const NO_DEVICE: Status = Status(ffi::SF_ERROR_NO_DEVICE);
    /// The current GPU is older than compute capability 8.0.
    pub const UNSUPPORTED_DEVICE: Status = Status(ffi::SF_ERROR_UNSUPPORTED_DEVICE);
    /// The matrix given to compress is not 2:4 sparse.
    pub const NOT_2TO4: Status = Status(ffi::SF_ERROR_NOT_2TO4);
    /// A compressed buffer has another format version.
    pub const FORMAT_VERSION: Status = Status(ffi::SF_ERROR_FORMAT_VERSION);
    /// A buffer (or slice) is smaller than required, or a header's sizes do not match its shape.
    pub const BUFFER_SIZE: Status = Status(ffi::SF_ERROR_BUFFER_SIZE);
    /// An argument is invalid in another way.
    pub const INVALID_VALUE: Status = Status(ffi::SF_ERROR_INVALID_VALUE);
    /// A compressed buffer does not start with a valid header.
    pub const BAD_HEADER: Status = Status(ffi::SF_ERROR_BAD_HEADER);
    /// A CUDA runtime call failed; the message names it.
    pub const CUDA: Status = Status(ffi::SF_ERROR_CUDA);
    /// The host ran out of memory.
    pub const OUT_OF_MEMORY: Status = Status(ffi::SF_ERROR_OUT_OF_MEMORY);
    /// A bug in SparseFlow.
    pub const INTERNAL: Status = Status(ffi::SF_ERROR_INTERNAL);

    /// The C name of a known code (`"SF_ERROR_NOT_2TO4"`), `None` for others.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 18] = [
            "SF_SUCCESS",
            "SF_ERROR_NULL_POINTER",
            "SF_ERROR_INVALID_SIZE",
            "SF_ERROR_K_GRANULARITY",
            "SF_ERROR_MISALIGNED",
            "SF_ERROR_LEADING_DIMENSION",
            "SF_ERROR_UNSUPPORTED_DTYPE",
            "SF_ERROR_UNSUPPORTED_LAYOUT",
            "SF_ERROR_NO_DEVICE",
            "SF_ERROR_UNSUPPORTED_DEVICE",
            "SF_ERROR_NOT_2TO4",
            "SF_ERROR_FORMAT_VERSION",
            "SF_ERROR_BUFFER_SIZE",
            "SF_ERROR_INVALID_VALUE",
            "SF_ERROR_BAD_HEADER",
            "SF_ERROR_CUDA",
            "SF_ERROR_OUT_OF_MEMORY",
            "SF_ERROR_INTERNAL",
        ];
        usize::try_from(self.0).ok().and_then(|i| NAMES.get(i).copied())
    }

    /// The library's static English description (`sf_status_string`); `"unknown status"` for a
    /// code it does not know.
    pub fn description(self) -> &'static str {
        // SAFETY: sf_status_string accepts any value and returns static storage.
        unsafe { static_str(ffi::sf_status_string(self.0)) }
    }

    pub fn is_success(self) -> bool {
        self == Status::SUCCESS
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{}({})", name, self.0),
            None => write!(f, "Status({})", self.0),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed SparseFlow call: its status and the library's thread-local message
/// (`sf_last_error_message`), read right after the call. Argument checks made by the binding
/// itself (slice lengths, dtype of a typed buffer) use the same codes with their own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl Error {
    /// An error detected by the binding before calling the library.
    pub(crate) fn binding(status: Status, message: String) -> Error {
        Error { status, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.status.name().unwrap_or("unknown status");
        if self.message.is_empty() {
            write!(f, "{} ({})", self.status.description(), name)
        } else {
            write!(f, "{} ({}): {}", self.status.description(), name, self.message)
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Turns a status returned by the library into a `Result`, reading the calling thread's message.
/// Must be called on the thread that made the call, before any other SparseFlow call.
pub(crate) fn check(status: ffi::sf_status_t) -> Result<()> {
    if status == ffi::SF_SUCCESS {
        return Ok(());
    }
    // SAFETY: the message pointer is valid until this thread's next SparseFlow call; it is
    // copied at once.
    let message = unsafe {
        let p = ffi::sf_last_error_message();
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    Err(Error { status: Status(status), message })
}

/// A `&'static str` from a C string in static storage.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string that lives for the whole program.
pub(crate) unsafe fn static_str(p: *const std::ffi::c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    CStr::from_ptr(p).to_str().unwrap_or("(not UTF-8)")
}
