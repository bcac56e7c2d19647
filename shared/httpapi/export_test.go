package httpapi

import "net/http/httptest"
import "net/http"

func newReq(ifMatch string) *http.Request {
	r := httptest.NewRequest("PATCH", "/", nil)
	if ifMatch != "" {
		r.Header.Set("If-Match", ifMatch)
	}
	return r
}
