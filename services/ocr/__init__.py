"""ocr: consumes `document.received`; per relevant page reads the PDF text layer, or renders
the page (~200 dpi), crops it when the workflow asks, and OCRs it with Tesseract or PaddleOCR; a
page Tesseract reads poorly is read again by PaddleOCR (`core/escalation.py`). Words with boxes
and confidences go to S3 (`ocr/<document>.json`); emits `document.text_extracted` with the
reference. CPU-bound: one process per core, scales on lag of document.received."""
