from services.classify.main import run

run()
