package report

import (
	"context"
	"io"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// Format is a rendering of the report.
type Format string

// The formats.
const (
	FormatHTML Format = "html"
	FormatPDF  Format = "pdf"
	FormatXLSX Format = "xlsx"
)

// ParseFormat checks a format name.
func ParseFormat(field, s string) (Format, error) {
	switch f := Format(s); f {
	case FormatHTML, FormatPDF, FormatXLSX:
		return f, nil
	}
	return "", apperr.Invalidf(field, "format must be html, pdf or xlsx")
}

// ContentType is the format's media type.
func (f Format) ContentType() string {
	switch f {
	case FormatPDF:
		return "application/pdf"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/html; charset=utf-8"
}

// Render writes r in format f; chromium is needed for PDF only.
func Render(ctx context.Context, w io.Writer, r *Report, f Format, chromium string) error {
	switch f {
	case FormatPDF:
		b, err := PDF(ctx, chromium, r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case FormatXLSX:
		return XLSX(w, r)
	}
	return HTML(w, r)
}
