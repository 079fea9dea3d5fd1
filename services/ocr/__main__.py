from services.ocr.main import run

run()
