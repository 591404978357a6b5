package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/shoalhq/shoal"
)

// wrapErr turns an SDK error into a shoal error: ENOTFOUND (also
// fs.ErrNotExist) for a missing key or bucket, EUNAVAILABLE for denied
// access, an unreachable endpoint or a server error, ECONFLICT for a failed
// precondition. The SDK error stays in the chain.
func (f *FS) wrapErr(op string, l location, err error) error {
	if err == nil {
		return nil
	}
	what := l.String()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	code, status := errorCode(err)
	var se *shoal.Error
	switch {
	case code == "NoSuchBucket":
		se = shoal.Errorf(shoal.ENOTFOUND, "bucket %s does not exist", l.bucket)
		return fmt.Errorf("%s %s: %w", op, what, errors.Join(se, fs.ErrNotExist, err))
	case isDenied(code, status):
		se = shoal.Errorf(shoal.EUNAVAILABLE, "access denied to %s (%s): check credentials (access key, secret key, session token) and the bucket policy", what, codeOr(code, "403"))
	case code == "NoSuchKey" || code == "NotFound" || code == "NoSuchUpload" || status == 404:
		se = shoal.Errorf(shoal.ENOTFOUND, "%s does not exist", what)
		return fmt.Errorf("%s %s: %w", op, what, errors.Join(se, fs.ErrNotExist, err))
	case code == "PreconditionFailed" || status == 412:
		se = shoal.Errorf(shoal.ECONFLICT, "%s changed or exists (precondition failed)", what)
	case code == "InvalidBucketName" || code == "InvalidArgument" || code == "KeyTooLongError":
		se = shoal.Errorf(shoal.EINVALID, "%s: %s", what, codeOr(code, "invalid request"))
	case code == "SlowDown" || code == "ServiceUnavailable" || code == "InternalError" || status >= 500:
		se = shoal.Errorf(shoal.EUNAVAILABLE, "S3 endpoint %s failed on %s (%s)", f.endpointName(), what, codeOr(code, fmt.Sprint(status)))
	case isUnreachable(err):
		se = shoal.Errorf(shoal.EUNAVAILABLE, "S3 endpoint %s is unreachable or timed out", f.endpointName())
	default:
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
	return fmt.Errorf("%s %s: %w", op, what, errors.Join(se, err))
}

func codeOr(code, alt string) string {
	if code != "" {
		return code
	}
	return alt
}

// errorCode returns the S3 error code and HTTP status of err, when it came
// from a response.
func errorCode(err error) (string, int) {
	var code string
	var status int
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// isUnreachable reports whether err means that no response arrived:
// a refused or timed-out connection, a DNS failure, a reset.
func isUnreachable(err error) bool {
	var rse *smithyhttp.RequestSendError
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &rse) || errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// isDenied reports an error code or status that means the credentials are
// wrong or lack permission. versitygw answers an unknown access key with
// 404 XAdminUserNotFound.
func isDenied(code string, status int) bool {
	switch code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
		"TokenRefreshRequired", "Forbidden", "XAdminUserNotFound":
		return true
	}
	return status == 403
}

// isNotFound reports whether err (raw from the SDK) means a missing key.
func isNotFound(err error) bool {
	code, status := errorCode(err)
	return code == "NoSuchKey" || code == "NotFound" || (status == 404 && code != "NoSuchBucket" && !isDenied(code, status))
}

// isPreconditionFailed reports a failed If-None-Match or If-Match.
func isPreconditionFailed(err error) bool {
	code, status := errorCode(err)
	return code == "PreconditionFailed" || status == 412
}

// errExist is the error for a path that must not exist but does.
func errExist(op string, l location) error {
	return fmt.Errorf("%s %s: %w", op, l, errors.Join(shoal.Errorf(shoal.ECONFLICT, "%s already exists", l), fs.ErrExist))
}

// errNotExist is the error for a path that does not exist.
func errNotExist(op string, l location) error {
	return fmt.Errorf("%s %s: %w", op, l, errors.Join(shoal.Errorf(shoal.ENOTFOUND, "%s does not exist", l), fs.ErrNotExist))
}
