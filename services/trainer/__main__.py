from services.trainer.main import run

run()
