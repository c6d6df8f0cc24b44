"""The web page (Gradio). gradio is imported only here; torch never."""
